// One read, write or end of a KernelSocket, as run() takes it: the call's
// arguments and time as fields, what its outcome means as methods. A call
// allocates this one object: no closure, no descriptor, no time record, and
// its name for the debug log is built only when logging.
import { channels } from './diagnostics.js';
import { EndOfStreamError, errorFor, timeoutError, type TimeoutError } from './errors.js';
import { addon, Status, type NativeResult, type NativeSocket, type Started, type TimerCode } from './native.js';
import type { Lane, Operation, Settled } from './operation.js';
import { publishTimeout } from './publish.js';
import type { CallTime, Timeouts } from './timeouts.js';

export enum SocketOpKind {
  Read,
  ReadExactly,
  Write,
  End,
}

export class SocketOp implements Operation<Buffer | null | undefined>, CallTime {
  constructor(
    /** The KernelSocket, for the timeout channel. */
    readonly socket: object,
    readonly native: NativeSocket,
    readonly lane: Lane,
    /** Its direction's timeouts and deadline (for a timeout's verdict). */
    readonly times: Timeouts,
    readonly kind: SocketOpKind,
    /** A read's size, or 0. */
    readonly size: number,
    /** A write's bytes. */
    readonly bytes: Uint8Array | undefined,
    /** Its own timeout (ms, 0 = none): the addon adds the socket deadline. */
    readonly timeout: number,
    /** When it was called, epoch ms (0 for end, which has no time of its own). */
    readonly at: number,
    /** What it gets now, own timeout cut by the deadline; -1: the deadline has passed. */
    readonly budget: number,
    readonly timer: TimerCode,
    readonly signal: AbortSignal | undefined,
    readonly onSettled: Settled | undefined,
  ) {}

  name(): string {
    switch (this.kind) {
      case SocketOpKind.Read:
        return `read(${this.size})`;
      case SocketOpKind.ReadExactly:
        return `readExactly(${this.size})`;
      case SocketOpKind.Write:
        return `write(${this.bytes!.byteLength})`;
      default:
        return 'end';
    }
  }

  start(): Started {
    switch (this.kind) {
      case SocketOpKind.Read:
        return addon.read(this.native.cell, this.size, this.timeout, false, this.timer);
      case SocketOpKind.ReadExactly:
        return addon.read(this.native.cell, this.size, this.timeout, true, this.timer);
      case SocketOpKind.Write:
        return addon.write(this.native.cell, this.bytes!, this.timeout, this.timer);
      default:
        return addon.end(this.native.cell);
    }
  }

  outcome(r: NativeResult): Buffer | null | undefined {
    if (this.kind === SocketOpKind.End) {
      const err = errorFor('end', 0, r);
      if (err) throw err;
      return undefined;
    }
    const op = this.kind === SocketOpKind.Write ? 'write' : 'read';
    if (r.status === Status.Timeout) throw this.timedOut(r);
    const err = errorFor(op, this.timeout, r);
    if (err) throw err;
    if (op === 'write') return undefined;
    if (r.status === Status.Eof) {
      if (this.kind === SocketOpKind.Read) return null;
      const partial = r.data ?? Buffer.alloc(0);
      throw new EndOfStreamError(`readExactly(${this.size}) met end of stream after ${partial.length} bytes`, partial);
    }
    return r.data!;
  }

  /** outcome() of status Ok: a read's bytes; nothing for a write or end. */
  ok(data: Buffer | undefined): Buffer | undefined {
    return this.kind === SocketOpKind.Read || this.kind === SocketOpKind.ReadExactly ? data! : undefined;
  }

  /**
   * The error of this read or write whose time ran out: the native result
   * `r`, or none when it never reached the kernel. Published on the timeout
   * channel when it has subscribers.
   */
  timedOut(r?: NativeResult): TimeoutError {
    const op = this.kind === SocketOpKind.Write ? 'write' : 'read';
    const v = this.times.verdict(this);
    const err = timeoutError(op, v.timeout, r, v.deadline);
    if (channels.timeout.hasSubscribers) publishTimeout(this.socket, op, this, err);
    return err;
  }
}
