// The error classes and the mapping from native outcomes to them. Every
// error has Node's system-error shape: `code`, `errno` (as Node gives it: the
// kernel's errno negated, as libuv's UV_E* values are on every Unix, so
// util.getSystemErrorName(err.errno) names it) and `syscall`. The addon
// reports the kernel's positive errno; it is negated here, once, where a
// native result becomes an error.
import { getSystemErrorName } from 'node:util';
import { Status, type NativeResult } from './native.js';

/** The name of the operation an error is about, as its message gives it. */
export type OpName = 'read' | 'write' | 'end' | 'connect' | 'accept' | 'listen' | 'socket' | 'address';

interface Detail {
  code: string;
  errno?: number | undefined;
  syscall?: string | undefined;
  cause?: unknown;
}

/** Base of every error this package raises for a socket operation. */
export class KernelSocketError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;

  constructor(message: string, detail: Detail) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = new.target.name;
    this.code = detail.code;
    this.errno = detail.errno;
    this.syscall = detail.syscall;
  }
}

type TimeoutDetail = Detail & { timeout: number; deadline?: number | undefined; decidedAt?: number | undefined };

/**
 * The operation's own timeout or the socket's deadline expired, as the
 * kernel reported it (EAGAIN from a timed recv/send/accept, EINPROGRESS or a
 * poll expiry for connect), or its time had already run out so no syscall
 * was made (errno undefined). The socket stays usable and no byte is lost. Retry is safe.
 */
export class TimeoutError extends KernelSocketError {
  /**
   * The time the operation had, in milliseconds: its own timeout, or, when
   * a socket deadline ended it, the time from the call to that deadline.
   */
  readonly timeout: number;
  /**
   * The socket deadline (epoch ms, as Date.now()) that ended the operation,
   * from setReadDeadline / setWriteDeadline / setDeadline; undefined when
   * the operation's own timeout ended it.
   */
  readonly deadline: number | undefined;
  /**
   * When the kernel reported the timeout, as seen by the native thread: ms
   * on process.hrtime()'s clock (Number(process.hrtime.bigint()) / 1e6).
   * Compare it with when JavaScript saw the error to measure event-loop
   * delay. Undefined when no syscall was made.
   */
  readonly decidedAt: number | undefined;
  constructor(message: string, detail: TimeoutDetail) {
    super(message, detail);
    this.timeout = detail.timeout;
    this.deadline = detail.deadline;
    this.decidedAt = detail.decidedAt;
  }
}

export class ReadTimeoutError extends TimeoutError {
  /** Bytes of an exact read that had arrived; they stay queued for the next read. */
  readonly bytesRead: number;
  constructor(message: string, detail: TimeoutDetail & { bytesRead?: number }) {
    super(message, detail);
    this.bytesRead = detail.bytesRead ?? 0;
  }
}

export class WriteTimeoutError extends TimeoutError {
  /** Bytes the kernel took before the timeout; the rest were not sent. */
  readonly bytesWritten: number;
  constructor(message: string, detail: TimeoutDetail & { bytesWritten: number }) {
    super(message, detail);
    this.bytesWritten = detail.bytesWritten;
  }
}

export class ConnectTimeoutError extends TimeoutError {}
export class AcceptTimeoutError extends TimeoutError {}

/**
 * The kernel's own ETIMEDOUT: the connection is dead (retransmissions,
 * keepalive, TCP_USER_TIMEOUT). Not a TimeoutError: reconnect, don't retry.
 */
export class ConnectionTimedOutError extends KernelSocketError {}

/** The socket was closed: the operation came after close(), or was pending when close() began. */
export class SocketClosedError extends KernelSocketError {}

/** Any other failure the kernel reported (ECONNREFUSED, ECONNRESET, EPIPE, EADDRINUSE, EMFILE, ...). */
export class SocketError extends KernelSocketError {
  /**
   * For a failed write or end: how many of its bytes the kernel took before
   * the failure (they are in the socket's send buffer, in order; the rest
   * were not sent), as net.Socket counts `bytesWritten`. A caller that can
   * go on (ENOMEM) resumes from there. Undefined for other operations.
   */
  readonly bytesWritten: number | undefined;
  constructor(message: string, detail: Detail & { bytesWritten?: number | undefined }) {
    super(message, detail);
    this.bytesWritten = detail.bytesWritten;
  }
}

/** readExactly met end of stream before the size asked for. */
export class EndOfStreamError extends KernelSocketError {
  readonly bytesRead: number;
  /** The bytes that did arrive. */
  readonly partial: Buffer;
  constructor(message: string, partial: Buffer) {
    super(message, { code: 'ERR_END_OF_STREAM', syscall: 'recv' });
    this.bytesRead = partial.length;
    this.partial = partial;
  }
}

/** The operation's AbortSignal fired; `cause` is `signal.reason`. Node's shape (code ABORT_ERR). */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/**
 * Runs `build` with V8's stack capture off (Error.stackTraceLimit = 0,
 * restored after): errors built when a native outcome settles an op. Their
 * frames would only be this package's own settlement code (no caller's frame
 * is on the stack then), and capturing them cost 7-8 µs per error, which is
 * what bounded how fast thousands of expiring reads reached JavaScript.
 * Argument errors, thrown at the call, keep the caller's stack. `build`
 * gets `a` and `b`, so a caller on the hot path needs no closure.
 */
export function withoutStack<T, A = undefined, B = undefined>(build: (a: A, b: B) => T, a?: A, b?: B): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build(a as A, b as B);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason });
}

export function closedError(op: OpName, syscall?: string): SocketClosedError {
  return new SocketClosedError(`${op} failed: the socket is closed`, {
    code: 'ERR_SOCKET_CLOSED',
    syscall: syscall || undefined,
  });
}

const TIMEOUT_CLASSES = {
  read: ReadTimeoutError,
  write: WriteTimeoutError,
  end: WriteTimeoutError,
  connect: ConnectTimeoutError,
  accept: AcceptTimeoutError,
} as const;

const TIMEOUT_CODES = {
  read: 'ERR_SOCKET_READ_TIMEOUT',
  write: 'ERR_SOCKET_WRITE_TIMEOUT',
  end: 'ERR_SOCKET_WRITE_TIMEOUT',
  connect: 'ERR_SOCKET_CONNECT_TIMEOUT',
  accept: 'ERR_SOCKET_ACCEPT_TIMEOUT',
} as const;

/** Node's errno for the kernel's: negated, as libuv's UV_E* values (undefined stays undefined). */
export function nodeErrno(kernelErrno: number | undefined): number | undefined {
  return kernelErrno ? -kernelErrno : undefined;
}

/**
 * The error of an op whose time ran out. `r` is the native result (kernel
 * errno, positive) or nothing when no syscall was made; `deadline` is the
 * socket deadline that ended it, if one did (then `timeout` is the time from
 * the call to it).
 */
export function timeoutError(
  op: keyof typeof TIMEOUT_CLASSES,
  timeout: number,
  r: Pick<NativeResult, 'errno' | 'code' | 'syscall' | 'bytes' | 'decidedAt'> = {},
  deadline?: number,
): TimeoutError {
  const message =
    deadline === undefined
      ? `${op} timed out after ${timeout} ms (${r.errno ? `${r.syscall} ${r.code}` : 'deadline passed before the call'})`
      : `${op} deadline passed (${new Date(deadline).toISOString()}, ${timeout} ms after the call; ${r.errno ? `${r.syscall} ${r.code}` : 'no syscall made'})`;
  const detail = {
    code: TIMEOUT_CODES[op],
    errno: nodeErrno(r.errno),
    syscall: r.syscall,
    timeout,
    deadline,
    decidedAt: r.errno ? r.decidedAt : undefined,
  };
  if (op === 'write' || op === 'end') return new WriteTimeoutError(message, { ...detail, bytesWritten: r.bytes ?? 0 });
  if (op === 'read') return new ReadTimeoutError(message, { ...detail, bytesRead: r.bytes ?? 0 });
  return new TIMEOUT_CLASSES[op](message, detail);
}

/**
 * A system error from a failed syscall (status Error). A write's or end's
 * SocketError counts the bytes the kernel took before it (`r.bytes`).
 */
export function systemError(op: OpName, r: Pick<NativeResult, 'errno' | 'code' | 'syscall' | 'bytes'>): KernelSocketError {
  const code = r.code ?? 'UNKNOWN';
  const message = `${op} ${code}${r.syscall && r.syscall !== op ? ` (${r.syscall})` : ''}`;
  const detail = { code, errno: nodeErrno(r.errno), syscall: r.syscall };
  if (code === 'ETIMEDOUT') return new ConnectionTimedOutError(`${message}: the connection timed out in the kernel`, detail);
  const written = op === 'write' || op === 'end' ? (r.bytes ?? 0) : undefined;
  return new SocketError(message, { ...detail, bytesWritten: written });
}

/** The same timeout, reported as `timeout` ms of the caller's own (a stream's replyTimeout), not a deadline. */
export function retimed(err: ReadTimeoutError, timeout: number): ReadTimeoutError {
  const how = err.syscall ? `${err.syscall} ${err.errno === undefined ? '' : getSystemErrorName(err.errno)}` : '';
  return new ReadTimeoutError(`read timed out after ${timeout} ms (${how.trim() || 'deadline passed before the call'})`, {
    code: err.code,
    errno: err.errno,
    syscall: err.syscall,
    timeout,
    decidedAt: err.decidedAt,
    bytesRead: err.bytesRead,
  });
}

/** The error for a finished op that did not succeed, or undefined when it did. */
export function errorFor(op: keyof typeof TIMEOUT_CLASSES, timeout: number, r: NativeResult): Error | undefined {
  switch (r.status) {
    case Status.Ok:
    case Status.Eof:
      return undefined;
    case Status.Timeout:
      return timeoutError(op, timeout, r);
    case Status.Closed:
      return closedError(op, r.syscall);
    default:
      return systemError(op, r);
  }
}
