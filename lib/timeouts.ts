// Timeouts and deadlines of one direction (read or write) of a socket, or of
// a server's accepts: the default timeout, its kernel readback, and the
// deadline. The deadline is the socket's, not the call's: set in the addon,
// it reaches pending operations too, as Go's deadlines do.
import { addon, isResult, type NativeSocket } from './native.js';
import { validateDeadline, validateTimeout } from './validate.js';

/** The time an op called now gets. */
export interface CallTime {
  /** Its own timeout (ms, 0 = none): the addon adds the socket deadline. */
  timeout: number;
  /** What it gets now, own timeout cut by the deadline (for errors); -1: the deadline has passed. */
  budget: number;
  /** When it was called, epoch ms. */
  at: number;
}

/** What ended an op that timed out: the time it had, and the socket deadline if that was it. */
export interface Verdict {
  timeout: number;
  deadline: number | undefined;
}

export class Timeouts {
  #timeout = 0;
  #readback = 0;
  #deadline: number | null = null;

  /** which: the kernel option of the default; dir: the addon's direction (0 reads/accepts, 1 writes). */
  constructor(
    private readonly which: 'recv' | 'send',
    private readonly dir: 0 | 1,
  ) {}

  /** The default timeout in ms (0 = none), as set. */
  get timeout(): number {
    return this.#timeout;
  }

  /** The default as the kernel stores it (Linux rounds up to whole jiffies). */
  get readback(): number {
    return this.#readback;
  }

  /** Epoch ms, or null for none. */
  get deadline(): number | null {
    return this.#deadline;
  }

  setTimeout(ms: unknown, name: string): void {
    const t = validateTimeout(ms, name, 0);
    let readback = 0;
    if (t > 0) {
      const r = addon.NativeSocket.timeoutReadback(t, this.which);
      readback = isResult(r) ? t : r;
    }
    this.#timeout = t;
    this.#readback = readback;
  }

  /** Sets the deadline (epoch ms) for later and pending ops of this direction. */
  setDeadline(value: unknown, name: string, native: NativeSocket): void {
    const d = validateDeadline(value, name);
    this.#deadline = d;
    native.setDeadline(this.dir, d);
  }

  /** The time an op called now gets: its own timeout (or the default), and that cut by the deadline. */
  forCall(own: unknown, name: string): CallTime {
    const t = this.own(own, name);
    const at = Date.now();
    return { timeout: t, budget: this.budget(t, at), at };
  }

  /** An op's own timeout: `value` (the call's option, `name` in errors), or the default when undefined. */
  own(value: unknown, name: string): number {
    return validateTimeout(value, name, this.#timeout);
  }

  /** What an op with own timeout t, called at `at`, gets: t cut by the deadline; -1 once the deadline has passed. */
  budget(t: number, at: number): number {
    if (this.#deadline === null) return t;
    const left = this.#deadline - at;
    if (left <= 0) return -1;
    // A far deadline can leave more than any timeout: the budget is only reported.
    return t === 0 ? left : Math.min(t, left);
  }

  /**
   * What ended an op of this direction, called as `call`, that timed out:
   * the socket deadline in force now (it may have moved while the op
   * waited) when it came before the op's own timeout, else that timeout.
   */
  verdict(call: Pick<CallTime, 'timeout' | 'at'>): Verdict {
    const d = this.#deadline;
    if (d !== null && (call.timeout === 0 || d < call.at + call.timeout)) {
      return { timeout: Math.max(0, d - call.at), deadline: d };
    }
    return { timeout: call.timeout, deadline: undefined };
  }
}
