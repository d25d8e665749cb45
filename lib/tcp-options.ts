// The kernel's own connection timeouts and close behaviour, as options and
// setters: TCP_USER_TIMEOUT (TCP_RXT_CONNDROPTIME on macOS), keepalive,
// SO_LINGER; the kernel's view of a connection (TCP_INFO); and what this
// platform supports. Validation lives here; the syscalls in
// native/tcp_options.cc and native/tcp_info.cc.
import { closedError, systemError } from './errors.js';
import { addon, isResult, type NativeCapabilities, type NativeSocket, type NativeTcpInfo } from './native.js';
import { invalidArgType, invalidArgValue, outOfRange, validateInteger, validateObject, validateTimeout } from './validate.js';

/** Keepalive timings. Times in ms, rounded up to whole seconds (the kernel's unit). */
export interface KeepAliveOptions {
  /** Idle time before the first probe (TCP_KEEPIDLE; TCP_KEEPALIVE on macOS). */
  idle?: number;
  /** Time between probes (TCP_KEEPINTVL). */
  interval?: number;
  /** Unanswered probes before the kernel drops the connection (TCP_KEEPCNT). */
  count?: number;
}

export interface TcpOptions {
  /**
   * ms that sent data may stay unacknowledged before the kernel drops the
   * connection: the next operation rejects with ConnectionTimedOutError
   * (ETIMEDOUT). 0 = the system default. TCP only.
   */
  userTimeout?: number;
  /** true/false, or timings (which turn it on). TCP only. */
  keepAlive?: boolean | KeepAliveOptions;
  /**
   * 0: abortive close: close() sends RST, discards unsent data, and leaves
   * no TIME_WAIT behind. null (default): graceful close (FIN after the
   * queued data; the side that closes first holds TIME_WAIT for 60 s on
   * Linux).
   */
  linger?: 0 | null;
  /** TCP_NODELAY: send small writes at once (Nagle's algorithm off). Default false, as the kernel's. TCP only. */
  noDelay?: boolean;
}

/** The options as the kernel reads them back (getsockopt). */
export interface TcpOptionsReadback {
  /** ms; 0 = system default. */
  userTimeout: number;
  keepAlive: { enabled: boolean; idle?: number; interval?: number; count?: number };
  /** 0 = abortive close, null = graceful. */
  linger: number | null;
  /** TCP_NODELAY: small writes go out at once (Nagle's algorithm off). */
  noDelay: boolean;
}

/** The kernel's view of a connection (fields in lib/native.ts). */
export type TcpInfo = NativeTcpInfo;

export type TcpCapabilities = Readonly<NativeCapabilities>;

/** What this platform and build can set and read. */
export const capabilities: TcpCapabilities = Object.freeze(addon.NativeSocket.capabilities());

const MAX_KEEPALIVE_MS = 32767 * 1000; // Linux's cap for TCP_KEEPIDLE / TCP_KEEPINTVL
const MAX_KEEPALIVE_COUNT = 127; // and for TCP_KEEPCNT

/** Validated, in the kernel's units. undefined: leave as it is. */
export interface TcpSettings {
  userTimeout?: number;
  keepAlive?: { enable: boolean; idleSeconds: number; intervalSeconds: number; count: number };
  /** -1 graceful, 0 abortive. */
  linger?: number;
  noDelay?: boolean;
}

export function validateUserTimeout(value: unknown, name: string): number {
  return validateTimeout(value, name, 0);
}

export function validateKeepAlive(value: unknown, name: string): NonNullable<TcpSettings['keepAlive']> {
  if (typeof value === 'boolean') return { enable: value, idleSeconds: 0, intervalSeconds: 0, count: 0 };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type boolean or object', value);
  }
  const k = value as KeepAliveOptions;
  const seconds = (v: unknown, n: string): number => {
    if (v === undefined) return 0;
    if (typeof v !== 'number') throw invalidArgType(n, 'of type number', v);
    if (!(v > 0 && v <= MAX_KEEPALIVE_MS)) throw outOfRange(n, `> 0 && <= ${MAX_KEEPALIVE_MS}`, v);
    return Math.ceil(v / 1000);
  };
  return {
    enable: true,
    idleSeconds: seconds(k.idle, `${name}.idle`),
    intervalSeconds: seconds(k.interval, `${name}.interval`),
    count: k.count === undefined ? 0 : validateInteger(k.count, `${name}.count`, 1, MAX_KEEPALIVE_COUNT),
  };
}

/**
 * Keepalive as net.Socket#setKeepAlive(enable, initialDelay) sets it, which
 * is libuv's uv__tcp_keepalive (libuv 1.51 in Node 22, 1.52 in Node 24 and
 * 26, seen with strace): SO_KEEPALIVE, and when initialDelay is at least a
 * second, TCP_KEEPIDLE = its whole seconds (rounded down, as Node's
 * `~~(initialDelay / 1000)`), TCP_KEEPINTVL 1 s and TCP_KEEPCNT 10, so a
 * dead peer is found about 10 s after the idle time, not after the kernel's
 * default 75 s x 9. Below a second only SO_KEEPALIVE is set, as net.
 */
export function netKeepAlive(enable: boolean, initialDelayMs: number): boolean | KeepAliveOptions {
  const seconds = Math.trunc(initialDelayMs / 1000);
  if (!enable || seconds < 1) return enable;
  return { idle: seconds * 1000, interval: LIBUV_KEEPALIVE_INTERVAL_MS, count: LIBUV_KEEPALIVE_COUNT };
}

/** libuv's fixed probe interval and count (src/unix/tcp.c, "same as on Win32"). */
const LIBUV_KEEPALIVE_INTERVAL_MS = 1000;
const LIBUV_KEEPALIVE_COUNT = 10;

export function validateLinger(value: unknown, name: string): number {
  if (value === null) return -1;
  if (value === 0) return 0;
  throw invalidArgValue(name, value, 'must be 0 (abortive close) or null (graceful close)');
}

export function validateNoDelay(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** The TCP options of connect() / listen() options; `tcp` false for a Unix path. */
export function validateTcpOptions(options: TcpOptions, tcp: boolean): TcpSettings {
  const o = validateObject<TcpOptions>(options, 'options');
  const s: TcpSettings = {};
  if (o.userTimeout !== undefined) s.userTimeout = validateUserTimeout(o.userTimeout, 'options.userTimeout');
  if (o.keepAlive !== undefined) s.keepAlive = validateKeepAlive(o.keepAlive, 'options.keepAlive');
  if (o.linger !== undefined) s.linger = validateLinger(o.linger, 'options.linger');
  if (o.noDelay !== undefined) s.noDelay = validateNoDelay(o.noDelay, 'options.noDelay');
  if (!tcp && (s.userTimeout !== undefined || s.keepAlive !== undefined || s.noDelay !== undefined)) {
    const which = s.userTimeout !== undefined ? 'userTimeout' : s.keepAlive !== undefined ? 'keepAlive' : 'noDelay';
    throw invalidArgValue(`options.${which}`, o[which], 'applies to TCP only, not to a Unix path');
  }
  return s;
}

/** Sets them on a socket; throws SocketError (e.g. EOPNOTSUPP) when the kernel refuses. */
export function applyTcpSettings(native: NativeSocket, s: TcpSettings): void {
  const failed = (r: ReturnType<NativeSocket['setLinger']>) => {
    if (r) throw systemError('socket', r);
  };
  if (s.userTimeout !== undefined) failed(native.setUserTimeout(s.userTimeout));
  const k = s.keepAlive;
  if (k !== undefined) failed(native.setKeepAlive(k.enable, k.idleSeconds, k.intervalSeconds, k.count));
  if (s.linger !== undefined) failed(native.setLinger(s.linger));
  if (s.noDelay !== undefined) failed(native.setNoDelay(s.noDelay));
}

export function readTcpOptions(native: NativeSocket, closed: boolean): TcpOptionsReadback {
  if (closed) throw closedError('socket');
  const r = native.tcpOptions();
  if (isResult(r)) throw systemError('socket', r);
  const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
  const keepAlive: TcpOptionsReadback['keepAlive'] = { enabled: r.keepAlive };
  if (r.keepIdle !== undefined) keepAlive.idle = ms(r.keepIdle);
  if (r.keepInterval !== undefined) keepAlive.interval = ms(r.keepInterval);
  if (r.keepCount !== undefined) keepAlive.count = r.keepCount;
  return { userTimeout: r.userTimeout, keepAlive, linger: r.linger < 0 ? null : r.linger, noDelay: r.noDelay };
}

export function readTcpInfo(native: NativeSocket, closed: boolean): TcpInfo {
  if (closed) throw closedError('socket');
  const r = native.info();
  if (isResult(r)) throw systemError('socket', r);
  return r;
}
