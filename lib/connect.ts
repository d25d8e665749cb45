// connect(): a KernelSocket connected to a TCP host:port or a Unix path,
// with the connect itself bounded in the kernel (non-blocking connect +
// poll(2) with the time left, on an owned thread). A host name is resolved
// first within the same budget (resolve.ts), then its addresses are tried
// as net tries them (connect-attempts.ts).
import {
  attemptAll,
  interleave,
  kConnectEvents,
  type Attempt,
  type AttemptHooks,
  type ConnectEvents,
  type Plan,
  type Target,
} from './connect-attempts.js';
import { bindLocal } from './bind-local.js';
import { rejectUnsupported, validateNetOptions, type NetAddressOptions } from './connect-options.js';
import { channels } from './diagnostics.js';
import { abortError, ConnectTimeoutError, errorFor } from './errors.js';
import { closeNative, type FamilyCode, type NativeSocket } from './native.js';
import { openSocket } from './open.js';
import { publishTimeout } from './publish.js';
import { run } from './operation.js';
import { literal, lookupHost } from './resolve.js';
import { internal, KernelSocket } from './socket.js';
import { applyTcpSettings, validateTcpOptions, type TcpOptions, type TcpSettings } from './tcp-options.js';
import { validateEngine, type Engine } from './engine.js';
import { defaultTimer, timerCode, validateTimerFor, type TimerMode } from './timer-mode.js';
import {
  invalidArgType,
  invalidArgValue,
  validateObject,
  validatePort,
  validateSignal,
  validateString,
  validateTimeout,
} from './validate.js';

export interface ConnectOptions extends TcpOptions, NetAddressOptions {
  /** Host name or IP address (default 'localhost'). Not with `path`. */
  host?: string;
  port?: number;
  /** A Unix socket path instead of host/port. */
  path?: string;
  /**
   * ms for the whole connect, counted from this call: name lookup and every
   * address tried, each step timed on the native clock. 0 = none.
   */
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
  rejectUnsupported(o);
  const timeout = validateTimeout(o.timeout, 'options.timeout', 0);
  const at = Date.now();
  const engine = validateEngine(o.engine, 'options.engine');
  const timeouts = {
    readTimeout: validateTimeout(o.readTimeout, 'options.readTimeout', 0),
    writeTimeout: validateTimeout(o.writeTimeout, 'options.writeTimeout', 0),
    timer: validateTimerFor(engine, o.timer, 'options.timer', defaultTimer(engine)),
    engine,
    tcp: validateTcpOptions(o, o.path === undefined),
  };
  const signal = validateSignal(o.signal);
  const emit = (o as { [kConnectEvents]?: ConnectEvents })[kConnectEvents];
  const attempt: Attempt = (target, left, hooks) => connectTo(target.family, target.address, 0, left, signal, timeouts, hooks);

  if (o.path !== undefined) {
    if (o.host !== undefined || o.port !== undefined) {
      throw invalidArgValue('options', o, 'must have either path or host/port, not both');
    }
    for (const key of ['localAddress', 'localPort'] as const) {
      if (o[key]) throw invalidArgValue(`options.${key}`, o[key], 'is not used with path');
    }
    const path = validateString(o.path, 'options.path');
    started(o);
    return published(attemptAll({ ...single({ address: path, family: 0 }, 0, timeout, signal), emit }, attempt), at);
  }
  const host = o.host === undefined ? 'localhost' : validateString(o.host, 'options.host');
  const port = validatePort(o.port);
  const net = validateNetOptions(o);
  started(o);
  const local = net.localAddress !== undefined || net.localPort !== undefined;
  const tcpAttempt: Attempt = (target, left, hooks) =>
    connectTo(target.family, target.address, port, left, signal, timeouts, {
      ...hooks,
      ...(local ? { local: { address: net.localAddress, port: net.localPort ?? 0 } } : {}),
    });

  // An IP address is used as it is, whatever `family` says (as net).
  const lit = literal(host);
  if (lit) return published(attemptAll({ ...single(lit, port, timeout, signal), emit }, tcpAttempt), at);
  const multiple = net.family === 0 && net.autoSelectFamily && net.localAddress === undefined;
  const lookup = lookupHost({
    host,
    family: net.family,
    hints: net.hints,
    all: multiple,
    timeout,
    signal,
    lookup: net.lookup,
  });
  return published(
    lookup.then(
      (found) => {
        for (const a of found.addresses) emit?.('lookup', null, a.address, a.family, host);
        const addresses = multiple ? interleave(found.addresses) : found.addresses;
        const plan = { addresses, port, left: found.left, timeout, signal, emit, attemptTimeout: net.attemptTimeout };
        return attemptAll({ ...plan, multiple: addresses.length > 1 }, tcpAttempt);
      },
      (err: Error) => {
        if (err.name !== 'AbortError' && !(err instanceof ConnectTimeoutError)) {
          emit?.('lookup', err, undefined, undefined, host);
        }
        throw err;
      },
    ),
    at,
  );
}

/** One address, the whole budget (a path, an IP address, or autoSelectFamily off). */
function single(target: Target, port: number, timeout: number, signal: AbortSignal | undefined): Plan {
  const left = timeout === 0 ? Infinity : timeout;
  return { addresses: [target], port, left, timeout, multiple: false, attemptTimeout: 0, signal, emit: undefined };
}

/** Publishes the start, once the options are known good. */
function started(options: ConnectOptions): void {
  if (channels.connectStart.hasSubscribers) channels.connectStart.publish({ options });
}

/** Publishes the outcome of a connect called at `at` (epoch ms) on the diagnostics channels. */
function published(p: Promise<KernelSocket>, at: number): Promise<KernelSocket> {
  const { connectDone, connectError, timeout } = channels;
  if (!connectDone.hasSubscribers && !connectError.hasSubscribers && !timeout.hasSubscribers) return p;
  return p.then(
    (socket) => {
      if (connectDone.hasSubscribers) connectDone.publish({ socket });
      return socket;
    },
    (error: unknown) => {
      // The whole connect's timeout; an address's own bound (autoSelectFamilyAttemptTimeout) is net's ETIMEDOUT, not this.
      if (error instanceof ConnectTimeoutError && timeout.hasSubscribers) publishTimeout(undefined, 'connect', { at }, error);
      if (connectError.hasSubscribers) connectError.publish({ error });
      throw error;
    },
  );
}

function connectTo(
  family: FamilyCode,
  address: string,
  port: number,
  timeout: number,
  signal: AbortSignal | undefined,
  timeouts: { readTimeout: number; writeTimeout: number; timer: TimerMode; engine: Engine; tcp: TcpSettings },
  hooks: AttemptHooks,
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
    if (hooks.local) bindLocal(native, family, hooks.local);
  } catch (err) {
    native.close();
    return Promise.reject(err);
  }
  hooks.connecting();
  const sock = native;
  // Set when the connect failed or was aborted: its socket's close, which
  // the rejection waits for, so a connect rejects only once its fd is gone.
  // That is not at once: the loop engine closes the fd in libuv's close
  // callback, later in the loop turn; a thread woken from a blocked connect
  // closes it as it leaves.
  let closing: Promise<void> | undefined;
  return run({
    name: () => `connect(${family === 0 ? address : `${address}:${port}`})`,
    lane: undefined,
    native: sock,
    timeout,
    signal,
    start: () => sock.connect(address, port, timeout, timerCode(timeouts.timer)),
    // An aborted connect still in the kernel: closing wakes it (the
    // half-open socket is dead anyway, docs/kernel-facts.md).
    abandoned: () => {
      closing = closeNative(sock);
    },
    outcome: (r) => {
      hooks.decided(r.decidedAt);
      const err = errorFor('connect', timeout, r);
      if (err) {
        closing = closeNative(sock);
        throw err;
      }
      return new KernelSocket(internal, sock, timeouts);
    },
  }).catch(async (err: unknown) => {
    await closing;
    throw err;
  });
}
