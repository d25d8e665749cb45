// Timeouts and deadlines of one direction (read or write) of a socket, or of
// a server's accepts: the default timeout, its kernel readback, and the
// deadline, combined into the time an operation gets when it is called.
import { addon, isResult } from './native.js';
import { validateDeadline, validateTimeout } from './validate.js';

export class Timeouts {
  #timeout = 0;
  #readback = 0;
  #deadline: number | null = null;

  constructor(private readonly which: 'recv' | 'send') {}

  /** The default timeout in ms (0 = none), as set. */
  get timeout(): number {
    return this.#timeout;
  }

  /** The default as the kernel stores it (Linux rounds up to whole jiffies). */
  get readback(): number {
    return this.#readback;
  }

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

  setDeadline(value: unknown, name: string): void {
    this.#deadline = validateDeadline(value, name);
  }

  /**
   * The time an op called now gets: its own timeout (or the default), cut
   * to what the deadline leaves. -1 when the deadline has passed: the op
   * times out without a syscall (0 would mean "forever" to the kernel).
   */
  forCall(own: unknown, name: string): number {
    const t = validateTimeout(own, name, this.#timeout);
    if (this.#deadline === null) return t;
    const left = this.#deadline - Date.now();
    if (left <= 0) return -1;
    return t === 0 ? left : Math.min(t, left);
  }
}
