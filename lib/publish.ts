// The messages of the timeout and close diagnostics_channel channels (named
// in lib/diagnostics.ts). Callers check `hasSubscribers` first, so with no
// subscriber nothing here runs.
import { channels } from './diagnostics.js';
import type { TimeoutError } from './errors.js';
import type { CallTime } from './timeouts.js';

/** The ops whose timeouts are published. */
export type TimedOp = 'read' | 'write' | 'accept' | 'connect';

/** The timeout channel's message. */
export interface TimeoutMessage {
  /** The KernelSocket; for 'accept' the KernelServer; for 'connect' undefined (no socket came of it). */
  socket: object | undefined;
  op: TimedOp;
  /** ms the op had (its own timeout, or call to deadline), as the error's `timeout`. */
  timeout: number;
  /** The socket's (or server's accept) deadline that ended it (epoch ms), or undefined when its own timeout did. */
  deadline: number | undefined;
  /** When the native thread saw the kernel's verdict (ms on process.hrtime()'s clock); undefined: no syscall was made. */
  decidedAt: number | undefined;
  /** How long after the op's time was up the verdict was decided, ms (within ±1 ms: Date.now()'s resolution, at the call and here). */
  lateMs: number;
  /** How long the verdict waited for the JavaScript thread, ms (0 when no syscall was made). */
  deliveredAfterMs: number;
  error: TimeoutError;
}

/** `call.at`: when the op was called (epoch ms); for a connect, when connect() was. */
export function publishTimeout(socket: object | undefined, op: TimedOp, call: Pick<CallTime, 'at'>, error: TimeoutError): void {
  // `due` is on the wall clock (call.at and deadlines are Date.now() values),
  // so `decided` is too: now on that clock, less how long ago the native
  // thread decided (measured on the monotonic clock). Not timeOrigin +
  // performance.now(): that pins the wall clock at process start, and the wall
  // clock may be slewed or stepped since (NTP, a VM's clock corrections) while
  // the monotonic one is not (a CI run saw them 2-4.5 ms apart).
  const hrNow = Number(process.hrtime.bigint()) / 1e6;
  const epochNow = Date.now();
  const due = error.deadline ?? call.at + error.timeout;
  const decided = error.decidedAt === undefined ? epochNow : epochNow - (hrNow - error.decidedAt);
  const message: TimeoutMessage = {
    socket,
    op,
    timeout: error.timeout,
    deadline: error.deadline,
    decidedAt: error.decidedAt,
    lateMs: decided - due,
    deliveredAfterMs: error.decidedAt === undefined ? 0 : hrNow - error.decidedAt,
    error,
  };
  channels.timeout.publish(message);
}

/** The close channel's message: the socket whose close() began. */
export function publishClose(socket: object): void {
  channels.close.publish({ socket });
}
