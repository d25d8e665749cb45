// The typed raw surface of the addon (native/socket_wrap.cc) and its
// loading. Nothing else: the public classes live in socket.ts and server.ts.

/** OpStatus in native/op.h. */
export enum Status {
  Ok = 0,
  Eof = 1,
  Timeout = 2,
  Error = 3,
  Closed = 4,
  Cancelled = 5,
}

/** An operation's outcome as the addon reports it. */
export interface NativeResult {
  status: Status;
  /** Raw kernel errno, when a syscall failed or timed out. */
  errno?: number;
  code?: string;
  syscall?: string;
  /** Bytes read or written (counting a partial write or exact read). */
  bytes?: number;
  /** When the last syscall returned, ms on process.hrtime()'s clock. */
  decidedAt?: number;
  data?: Buffer;
  socket?: NativeSocket;
  peer?: NativeAddress;
}

export type NativeAddress = { address: string; port: number; family: 'IPv4' | 'IPv6' } | { path: string };

/** A started op: a result when it finished at once, else its id (negative while queued). */
export type Started = NativeResult | number;
export type Callback = (result: NativeResult) => void;

/** Cancel outcomes (CancelResult in native/engine.h). */
export enum Cancel {
  Removed = 0,
  Abandoned = 1,
  TooLate = 2,
  Started = 3,
}

/** Facade family codes: 4, 6, or 0 for a Unix path. */
export type FamilyCode = 0 | 4 | 6;

export interface NativeSocket {
  connect(hostOrPath: string, port: number, timeoutMs: number, cb: Callback): Started;
  listen(hostOrPath: string, port: number, backlog: number): NativeResult | undefined;
  accept(timeoutMs: number, cb: Callback): Started;
  read(size: number, timeoutMs: number, exact: boolean, cb: Callback): Started;
  write(data: Uint8Array, timeoutMs: number, cb: Callback): Started;
  end(cb: Callback): Started;
  cancel(id: number, onlyQueued: boolean): Cancel;
  close(cb?: () => void): boolean;
  address(peer: boolean): NativeAddress | NativeResult;
  readonly fd: number;
}

export interface NativeSocketClass {
  open(family: FamilyCode, listener: boolean): NativeSocket | NativeResult;
  timeoutReadback(ms: number, which: 'recv' | 'send'): number | NativeResult;
}

export interface Addon {
  NativeSocket: NativeSocketClass;
  /** Owned threads alive now. */
  threads(): number;
  /** Ops started from this env that have not been delivered yet. */
  pending(): number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bindings: (name: string) => unknown = require('bindings');

export const addon = bindings('kernel_timeout_socket') as Addon;

export function isResult(value: unknown): value is NativeResult {
  return typeof value === 'object' && value !== null && 'status' in value;
}
