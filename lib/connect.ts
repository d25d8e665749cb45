// connect(): a KernelSocket connected to a TCP host:port or a Unix path,
// with the connect itself bounded in the kernel (non-blocking connect +
// poll(2) with the time left, on an owned thread).
import { abortError, errorFor, timeoutError } from './errors.js';
import type { FamilyCode, NativeSocket } from './native.js';
import { openSocket } from './open.js';
import { run } from './operation.js';
import { literal, resolveHost, type Resolved } from './resolve.js';
import { internal, KernelSocket } from './socket.js';
import { applyTcpSettings, validateTcpOptions, type TcpOptions, type TcpSettings } from './tcp-options.js';
import { validateEngine, type Engine } from './engine.js';
import { defaultTimer, timerCode, validateTimerFor, type TimerMode } from './timer-mode.js';
import {
  invalidArgType,
  invalidArgValue,
  validateInteger,
  validateObject,
  validatePort,
  validateSignal,
  validateString,
  validateTimeout,
} from './validate.js';

export interface ConnectOptions extends TcpOptions {
  /** Host name or IP address (default 'localhost'). Not with `path`. */
  host?: string;
  port?: number;
  /** A Unix socket path instead of host/port. */
  path?: string;
  /** 4 or 6 to force an address family for `host`; 0 (default) for either. */
  family?: 0 | 4 | 6;
  /** ms for the whole connect, counted from this call (name lookup included). 0 = none. */
  timeout?: number;
  /** Default read timeout of the socket, ms. 0 = none. */
  readTimeout?: number;
  /** Default write timeout of the socket, ms. 0 = none. */
  writeTimeout?: number;
  /** Kernel timer of the connect and default of the socket: 'sockopt' (default) or 'poll'; only 'poll' with engine 'loop'. */
  timer?: TimerMode;
  /** What runs the socket's operations: 'threads' (default) or 'loop' (README, choosing an engine). */
  engine?: Engine;
  signal?: AbortSignal;
}

export function connect(options: ConnectOptions): Promise<KernelSocket> {
  if (options === undefined) throw invalidArgType('options', 'of type object', options);
  const o = validateObject<ConnectOptions>(options, 'options');
  const timeout = validateTimeout(o.timeout, 'options.timeout', 0);
  const engine = validateEngine(o.engine, 'options.engine');
  const timeouts = {
    readTimeout: validateTimeout(o.readTimeout, 'options.readTimeout', 0),
    writeTimeout: validateTimeout(o.writeTimeout, 'options.writeTimeout', 0),
    timer: validateTimerFor(engine, o.timer, 'options.timer', defaultTimer(engine)),
    engine,
    tcp: validateTcpOptions(o, o.path === undefined),
  };
  const signal = validateSignal(o.signal);
  const started = Date.now();

  if (o.path !== undefined) {
    if (o.host !== undefined || o.port !== undefined) {
      throw invalidArgValue('options', o, 'must have either path or host/port, not both');
    }
    const path = validateString(o.path, 'options.path');
    return connectTo(0, path, 0, timeout, signal, timeouts);
  }
  const host = o.host === undefined ? 'localhost' : validateString(o.host, 'options.host');
  const port = validatePort(o.port);
  const family = (o.family === undefined ? 0 : validateFamily(o.family)) as FamilyCode;

  const lit = literal(host);
  if (lit && (family === 0 || family === lit.family)) {
    return connectTo(lit.family, lit.address, port, timeout, signal, timeouts);
  }
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return resolveHost(host, family, timeout, signal, () => timeoutError('connect', timeout)).then((r: Resolved) => {
    const left = timeout === 0 ? 0 : timeout - (Date.now() - started);
    if (timeout > 0 && left <= 0) throw timeoutError('connect', timeout);
    return connectTo(r.family, r.address, port, left, signal, timeouts);
  });
}

function connectTo(
  family: FamilyCode,
  address: string,
  port: number,
  timeout: number,
  signal: AbortSignal | undefined,
  timeouts: { readTimeout: number; writeTimeout: number; timer: TimerMode; engine: Engine; tcp: TcpSettings },
): Promise<KernelSocket> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  let native: NativeSocket;
  try {
    native = openSocket(family, false, timeouts.engine);
  } catch (err) {
    return Promise.reject(err);
  }
  try {
    // Before connect: TCP_USER_TIMEOUT then bounds the handshake too.
    applyTcpSettings(native, timeouts.tcp);
  } catch (err) {
    native.close();
    return Promise.reject(err);
  }
  const sock = native;
  return run({
    name: `connect(${family === 0 ? address : `${address}:${port}`})`,
    native: sock,
    timeout,
    signal,
    start: (cb) => sock.connect(address, port, timeout, cb, timerCode(timeouts.timer)),
    expired: () => timeoutError('connect', timeout),
    // An aborted connect still in the kernel: closing wakes it (the
    // half-open socket is dead anyway, docs/kernel-facts.md).
    abandoned: () => {
      sock.close();
    },
    settle: (r) => {
      const err = errorFor('connect', timeout, r);
      if (err) {
        sock.close();
        throw err;
      }
      return new KernelSocket(internal, sock, timeouts);
    },
  });
}

function validateFamily(value: unknown): number {
  const f = validateInteger(value, 'options.family', 0, 6);
  if (f !== 0 && f !== 4 && f !== 6) throw invalidArgValue('options.family', value, 'must be 0, 4 or 6');
  return f;
}
