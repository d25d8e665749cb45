// The typed raw surface of the addon (native/addon.cc, native/socket_wrap.cc)
// and its loading. Nothing else: the public classes live in socket.ts and server.ts.

import { join } from 'node:path';

/** OpStatus in native/op.h. */
export enum Status {
  Ok = 0,
  Eof = 1,
  Timeout = 2,
  Error = 3,
  Closed = 4,
  /** An op JavaScript settled already (aborted: removed from its queue, or abandoned in flight): the addon lets its record go. */
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

/**
 * A started op: its id (negative while queued); 0 when it finished at once
 * (its outcome went to the settle callback as id 0 before the call
 * returned); a result when it failed before it could start. The common
 * outcomes of an op that finished at once come back as the call's value
 * instead, with no callback: a read's bytes (status Ok), or true for a
 * write or end that is done (status Ok).
 */
export type Started = NativeResult | number | Buffer | true;
/**
 * The addon's one settle callback (registered once per env with setSettle):
 * the id of a delivered op, then its outcome as plain arguments in
 * NativeResult's order (native/result.h ResultArgs), so the addon builds no
 * object for it. Id 0: the op that is finishing at once, before its start
 * call returns. An op JavaScript settled already (aborted) comes with
 * Status.Cancelled and nothing else.
 */
export type SettleCallback = (
  id: number,
  status: Status,
  bytes?: number,
  decidedAt?: number,
  errno?: number,
  code?: string,
  syscall?: string,
  data?: Buffer,
  socket?: NativeSocket,
  peer?: NativeAddress,
) => void;

/** Cancel outcomes (CancelResult in native/engine.h). */
export enum Cancel {
  Removed = 0,
  Abandoned = 1,
  TooLate = 2,
}

/** Facade family codes: 4, 6, or 0 for a Unix path. */
export type FamilyCode = 0 | 4 | 6;

/** Which engine runs a socket's ops (native/engine.h), fixed at open(). */
export enum EngineCode {
  Threads = 0,
  Loop = 1,
}

/** TimerMode in native/op.h: how an op that must wait is timed. */
export enum TimerCode {
  Sockopt = 0,
  Poll = 1,
}

/** What native/tcp_options.h reads back. Times in ms, keepalive ones in s. */
export interface NativeTcpOptions {
  userTimeout: number;
  keepAlive: boolean;
  keepIdle?: number;
  keepInterval?: number;
  keepCount?: number;
  /** -1: off (graceful close); else seconds (0: abortive close). */
  linger: number;
  /** TCP_NODELAY. */
  noDelay: boolean;
}

/** native/tcp_info.h: the kernel's view of a connection. Absent fields are not reported by this OS. */
export interface NativeTcpInfo {
  /** 'ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'LAST_ACK', 'CLOSE', ... */
  state: string;
  /** Smoothed round-trip time, µs. */
  rtt?: number;
  /** Its mean deviation, µs. */
  rttVar?: number;
  /** Retransmission timeout now, µs. */
  rto?: number;
  /** Consecutive retransmissions of the oldest unacknowledged segment (Linux). */
  retransmits?: number;
  /** Segments retransmitted over the connection's life. */
  totalRetransmits?: number;
  /** Segments sent and not yet acknowledged (Linux). */
  unacked?: number;
  /** Segments the kernel considers lost (Linux). */
  lost?: number;
  /** Congestion window: segments on Linux, bytes on macOS. */
  sndCwnd?: number;
  sndMss?: number;
  rcvMss?: number;
  /** ms since data last arrived (Linux). */
  lastDataReceived?: number;
  /** ms since an ACK last arrived (Linux). */
  lastAckReceived?: number;
  /** Bytes written and not yet acknowledged by the peer. */
  sendQueue?: number;
  /** Bytes received and not yet read. */
  receiveQueue?: number;
}

export interface NativeCapabilities {
  userTimeout: 'TCP_USER_TIMEOUT' | 'TCP_RXT_CONNDROPTIME' | null;
  /** 1: the kernel keeps ms; 1000: whole seconds (rounded up); 0: unsupported. */
  userTimeoutUnitMs: number;
  keepAliveIdle: 'TCP_KEEPIDLE' | 'TCP_KEEPALIVE' | null;
  keepAliveInterval: boolean;
  keepAliveCount: boolean;
  linger: boolean;
  info: 'TCP_INFO' | 'TCP_CONNECTION_INFO' | null;
  pollTimer: 'ppoll' | 'poll';
}

/**
 * A socket's cell (a napi External, native/socket_wrap.h SocketCell): what
 * read, write and end take in place of `this`, so the addon reaches the
 * socket without napi_unwrap. Pass it only with its NativeSocket held: a
 * cell whose socket was collected makes those calls throw a TypeError.
 */
export type SocketCell = { readonly __brand: 'SocketCell' };

export interface NativeSocket {
  /** This socket's cell, for addon.read, addon.write and addon.end. */
  readonly cell: SocketCell;
  connect(hostOrPath: string, port: number, timeoutMs: number, timer?: TimerCode): Started;
  listen(hostOrPath: string, port: number, backlog: number): NativeResult | undefined;
  accept(timeoutMs: number, timer?: TimerCode): Started;
  cancel(id: number): Cancel;
  /** The socket-wide deadline of a direction (0 reads and accepts, 1 writes), epoch ms or null; pending ops follow it. False once closing. */
  setDeadline(dir: 0 | 1, epochMs: number | null): boolean;
  close(cb?: () => void): boolean;
  address(peer: boolean): NativeAddress | NativeResult;
  readonly fd: number;
  setUserTimeout(ms: number): NativeResult | undefined;
  /** Seconds and count; 0 leaves the kernel's value. */
  setKeepAlive(enable: boolean, idleSeconds: number, intervalSeconds: number, count: number): NativeResult | undefined;
  /** -1 off, 0 abortive close. */
  setLinger(seconds: number): NativeResult | undefined;
  /** TCP_NODELAY on or off. */
  setNoDelay(enable: boolean): NativeResult | undefined;
  /** Whether this socket's pending and later ops keep the event loop alive (default true). */
  setRef(ref: boolean): void;
  tcpOptions(): NativeTcpOptions | NativeResult;
  info(): NativeTcpInfo | NativeResult;
}

export interface NativeSocketClass {
  open(family: FamilyCode, listener: boolean, engine: EngineCode): NativeSocket | NativeResult;
  timeoutReadback(ms: number, which: 'recv' | 'send'): number | NativeResult;
  /** Entries in the loop engine's deadline heap (tests watch its bound). */
  deadlineEntries(): number;
  /** An External that is not a socket's cell, as another addon's would be (tests). */
  notACell(): SocketCell;
  capabilities(): NativeCapabilities;
}

export interface Addon {
  NativeSocket: NativeSocketClass;
  /** A read of up to `size` bytes (all of them when `exact`) on the socket of `cell`. */
  read(cell: SocketCell, size: number, timeoutMs: number, exact: boolean, timer?: TimerCode): Started;
  write(cell: SocketCell, data: Uint8Array, timeoutMs: number, timer?: TimerCode): Started;
  end(cell: SocketCell): Started;
  /** Owned threads alive now. */
  threads(): number;
  /** Ops started from this env that have not been delivered yet. */
  pending(): number;
  /**
   * Registers the env's one settle callback: every pending op's outcome
   * goes to it, by op id. Returns the one registered before, if any, which
   * gets the ids this one does not know. `landing` (at least 8 bytes, held
   * from then on): where a read's bytes that fit go, instead of a Buffer of
   * their own; that Buffer is then the read's data, its first 4 bytes
   * their count (uint32, native byte order) and the bytes from offset 8.
   */
  setSettle(settle: SettleCallback, landing?: Buffer): SettleCallback | undefined;
  /**
   * Test hook: the generation every registry slot last handed out (0..2^31 - 1;
   * the next is one more, wrapping to 1). An op id is generation * 2^22 + slot
   * (native/op_registry.h).
   */
  setLastOpGeneration(generation: number): void;
  /** The highest SCHED_FIFO priority startDeadlineRealtime takes (the lowest is 1); 0 where none is offered. */
  realtimePriorityMax(): number;
  /** Starts this env's loop-engine deadline thread under SCHED_FIFO at priority; the error when refused (it then runs as before). */
  startDeadlineRealtime(priority: number): NativeResult | undefined;
}

/**
 * node-gyp-build picks the binary: build/Release (a build from source) when
 * there is one, else the prebuilt binary in the tarball that fits this
 * process (prebuilds/<platform>-<arch>/, tagged napi and glibc, so a musl
 * Node does not take it). So it works where no install script ran.
 */
function load(): Addon {
  const nodeGypBuild: (dir: string) => unknown = require('node-gyp-build');
  try {
    return nodeGypBuild(join(__dirname, '..')) as Addon;
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('No native build was found')) throw err;
    throw new Error(
      `kernel-timeout-socket: no prebuilt binary fits this platform and none was built from source ` +
        `(install scripts blocked?). Build it with \`npm rebuild kernel-timeout-socket\` ` +
        `(needs python3, make and a C++17 compiler; docs/install.md).`,
      { cause: err },
    );
  }
}

export const addon = load();

/**
 * Closes a native socket; resolves once its fd is closed and its last op
 * delivered (the native close's callback; at once when that is so already).
 */
export function closeNative(sock: NativeSocket): Promise<void> {
  return new Promise((resolve) => {
    if (sock.close(resolve)) resolve();
  });
}

export function isResult(value: unknown): value is NativeResult {
  return typeof value === 'object' && value !== null && 'status' in value;
}
