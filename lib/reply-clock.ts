// The reply timeout of a pooled connection (KernelSocketStream's
// `replyTimeout`): when a reply is owed, and until when. A reply becomes
// owed when a write has put its last byte into the kernel, unless bytes
// came after that write started (an early reply); any byte read pays it.
// While nothing is owed there is no limit: an idle keep-alive connection
// lives until the peer or the pool closes it.
//
// The stream keeps one read pending. Started while nothing is owed, it has
// no timeout; when a reply becomes owed, the socket's read deadline (which
// reaches pending reads) gives it the owed reply's time. Started while a
// reply is owed, it gets what the reply has left as its own timeout. Either
// way the kernel decides.

/** The reply a read was watching for: pass it back to expired(). */
export interface WatchedRead {
  /** ms for the read itself: 0 (none) or what the owed reply has left (at least 1). */
  timeout: number;
  /** The owed reply's clock start it runs under (updated when a deadline reaches it). */
  owedSince: number | undefined;
}

export class ReplyClock {
  /** Date.now() when the owed reply's clock started; undefined: nothing owed. */
  #owedSince: number | undefined;
  /** Writes started, and how many had started when bytes last arrived. */
  #writes = 0;
  #answered = 0;

  /** ms; 0 = off (reads wait as the socket's own read timeout says). */
  constructor(readonly replyTimeout: number) {}

  get enabled(): boolean {
    return this.replyTimeout > 0;
  }

  /** The owed reply's deadline (epoch ms, as setReadDeadline takes), or undefined. */
  get deadline(): number | undefined {
    return this.#owedSince === undefined ? undefined : this.#owedSince + this.replyTimeout;
  }

  /** A write starts; pass what it returns to wrote() when it has finished. */
  writing(): number {
    return ++this.#writes;
  }

  /**
   * A write finished: unless bytes came after it started, the peer owes a
   * reply from now (restarting the clock). True when that started the clock.
   */
  wrote(write: number): boolean {
    if (!this.enabled || this.#answered >= write) return false;
    this.#owedSince = Date.now();
    return true;
  }

  /** Bytes arrived: the reply to every write started so far has begun. */
  received(): void {
    this.#owedSince = undefined;
    this.#answered = this.#writes;
  }

  /** For a read starting now. */
  watch(): WatchedRead {
    const since = this.#owedSince;
    if (since === undefined) return { timeout: 0, owedSince: undefined };
    // At least 1 ms: a reply already in the kernel still wins over a
    // stalled event loop (0 would mean "forever").
    return { timeout: Math.max(1, since + this.replyTimeout - Date.now()), owedSince: since };
  }

  /** The pending read `read` now runs under the owed reply's deadline too. */
  armed(read: WatchedRead): void {
    read.owedSince = this.#owedSince;
  }

  /**
   * `read` timed out in the kernel. True when that was the owed reply's time
   * running out: no write has restarted the clock since it was set on the
   * read. Otherwise read again.
   */
  expired(read: WatchedRead): boolean {
    return read.owedSince !== undefined && read.owedSince === this.#owedSince;
  }
}
