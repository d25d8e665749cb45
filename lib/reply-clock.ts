// The reply timeout of a pooled connection (KernelSocketStream's
// `replyTimeout`): when a reply is owed, and how long the next read may wait
// for its first byte. A reply becomes owed when a write has put its last byte
// into the kernel; any byte read pays it. While nothing is owed there is no
// limit: an idle keep-alive connection lives until the peer or the pool
// closes it.
//
// Reads are timed by the kernel. A read started while nothing was owed waits
// at most `replyTimeout` (so that a reply owed later is still checked on
// time); when it times out, the next read gets the time the owed reply has
// left, or another `replyTimeout` while nothing is owed.

/** The timeout of the next read and the owed reply it watches for. */
export interface NextRead {
  /** ms, at least 1 (0 would mean "forever" to the kernel). */
  timeout: number;
  /** The clock it was given under: pass it back to expired(). */
  owedSince: number | undefined;
}

export class ReplyClock {
  /** performance.now() when the owed reply's clock started; undefined: nothing owed. */
  #owedSince: number | undefined;
  /** Writes started, and how many had started when bytes last arrived. */
  #writes = 0;
  #answered = 0;

  /** ms; 0 = off (reads wait as the socket's own read timeout says). */
  constructor(readonly replyTimeout: number) {}

  get enabled(): boolean {
    return this.replyTimeout > 0;
  }

  get owed(): boolean {
    return this.#owedSince !== undefined;
  }

  /** A write starts; pass what it returns to wrote() when it has finished. */
  writing(): number {
    return ++this.#writes;
  }

  /**
   * A write finished: unless bytes came after it started (an early reply),
   * the peer owes a reply from now (restarting the clock).
   */
  wrote(write: number): void {
    if (this.enabled && this.#answered < write) this.#owedSince = performance.now();
  }

  /** Bytes arrived: the reply to every write started so far has begun. */
  received(): void {
    this.#owedSince = undefined;
    this.#answered = this.#writes;
  }

  /**
   * The next read's timeout: what the owed reply has left (at least 1 ms, so
   * a reply already there still wins over a stalled event loop), or a whole
   * replyTimeout while nothing is owed.
   */
  next(): NextRead {
    const since = this.#owedSince;
    if (since === undefined) return { timeout: this.replyTimeout, owedSince: undefined };
    const left = Math.ceil(since + this.replyTimeout - performance.now());
    return { timeout: Math.max(1, left), owedSince: since };
  }

  /**
   * A read given `read` timed out in the kernel. True when that was the owed
   * reply's own time running out: the reply was owed when the read started
   * and no write has restarted the clock since. Otherwise read again.
   */
  expired(read: NextRead): boolean {
    return read.owedSince !== undefined && read.owedSince === this.#owedSince;
  }
}
