// listen(): a KernelServer bound to a TCP host:port or a Unix path.
import { abortError, systemError } from './errors.js';
import type { FamilyCode } from './native.js';
import { openSocket } from './open.js';
import { literal, lookupHost } from './resolve.js';
import { KernelServer } from './server.js';
import { internal } from './socket.js';
import { validateTcpOptions, type TcpOptions } from './tcp-options.js';
import { validateEngine, type Engine } from './engine.js';
import { defaultTimer, validateTimerFor, type TimerMode } from './timer-mode.js';
import {
  invalidArgValue,
  validateInteger,
  validateObject,
  validatePort,
  validateSignal,
  validateString,
  validateTimeout,
} from './validate.js';

/** TcpOptions here apply to every accepted socket. */
export interface ListenOptions extends TcpOptions {
  /** Address or name to bind (default: every interface, '::' or '0.0.0.0'). */
  host?: string;
  /** 0 (default) for a free port; server.address().port tells which. */
  port?: number;
  /** A Unix socket path instead of host/port; removed again on close(). */
  path?: string;
  /** Listen queue length (default 511, as Node; the kernel caps it at somaxconn). */
  backlog?: number;
  /** Default accept timeout, ms. 0 = none. */
  acceptTimeout?: number;
  /** Default read timeout of accepted sockets, ms. */
  readTimeout?: number;
  /** Default write timeout of accepted sockets, ms. */
  writeTimeout?: number;
  /** Kernel timer of accepts and default of accepted sockets: 'sockopt' (default) or 'poll'; only 'poll' with engine 'loop'. */
  timer?: TimerMode;
  /** What runs the server's accepts and its accepted sockets: 'threads' (default) or 'loop'. */
  engine?: Engine;
  /** Aborting closes the server (as with Node's server.listen({ signal })). */
  signal?: AbortSignal;
}

export function listen(options: ListenOptions = {}): Promise<KernelServer> {
  const o = validateObject<ListenOptions>(options, 'options');
  const backlog = o.backlog === undefined ? 511 : validateInteger(o.backlog, 'options.backlog', 0, 2 ** 31 - 1);
  const acceptTimeout = validateTimeout(o.acceptTimeout, 'options.acceptTimeout', 0);
  const engine = validateEngine(o.engine, 'options.engine');
  const defaults = {
    readTimeout: validateTimeout(o.readTimeout, 'options.readTimeout', 0),
    writeTimeout: validateTimeout(o.writeTimeout, 'options.writeTimeout', 0),
    timer: validateTimerFor(engine, o.timer, 'options.timer', defaultTimer(engine)),
    engine,
    tcp: validateTcpOptions(o, o.path === undefined),
  };
  const signal = validateSignal(o.signal);

  const bindTo = (family: FamilyCode, address: string, port: number, path?: string): KernelServer => {
    if (signal?.aborted) throw abortError(signal);
    const native = openSocket(family, true, engine);
    const failed = native.listen(address, port, backlog);
    if (failed) {
      native.close();
      throw systemError('listen', failed);
    }
    const server = new KernelServer(internal, native, acceptTimeout, defaults, path);
    signal?.addEventListener('abort', () => void server.close(), { once: true });
    return server;
  };

  if (o.path !== undefined) {
    if (o.host !== undefined || o.port !== undefined) {
      throw invalidArgValue('options', o, 'must have either path or host/port, not both');
    }
    const path = validateString(o.path, 'options.path');
    return settle(() => bindTo(0, path, 0, path));
  }
  const port = o.port === undefined ? 0 : validatePort(o.port);
  if (o.host === undefined) {
    // Every interface, dual-stack where IPv6 exists, as Node does.
    return settle(() => {
      try {
        return bindTo(6, '::', port);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAFNOSUPPORT') throw err;
        return bindTo(4, '0.0.0.0', port);
      }
    });
  }
  const host = validateString(o.host, 'options.host');
  const lit = literal(host);
  if (lit) return settle(() => bindTo(lit.family, lit.address, port));
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const lookup = { host, family: 0, hints: 0, all: false, timeout: 0, signal, lookup: undefined } as const;
  return lookupHost(lookup).then(({ addresses: [r] }) => bindTo(r!.family, r!.address, port));
}

function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
