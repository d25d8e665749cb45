// The arguments of net.createConnection() / net.Socket#connect(), in each
// of net's shapes, normalized to one options object and a listener.
import type { ConnectOptions } from './connect.js';
import type { Engine } from './engine.js';
import type { StreamOptions } from './stream.js';
import type { KeepAliveOptions } from './tcp-options.js';
import { invalidArgType, validateObject } from './validate.js';

/**
 * connect()'s options under net's names: `timeout` is the idle timeout of
 * setTimeout() (an event), `connectTimeout` bounds the connect (connect()'s
 * `timeout`), keepAlive/keepAliveInitialDelay and noDelay are net's.
 */
export interface NetConnectOptions extends Omit<ConnectOptions, 'timeout' | 'keepAlive'>, StreamOptions {
  /** ms without reads or writes before 'timeout' is emitted (net's setTimeout). 0 = none. */
  timeout?: number;
  /** ms for the whole connect, name lookup included, decided by the kernel. 0 = none. */
  connectTimeout?: number;
  keepAlive?: boolean | KeepAliveOptions;
  /** ms before the first keepalive probe when keepAlive is true (net's name). */
  keepAliveInitialDelay?: number;
  /** The engine to run the socket on, passed to connect() as it is. */
  engine?: Engine;
}

export type ConnectArgs =
  | [options: NetConnectOptions, listener?: () => void]
  | [port: number, host?: string, listener?: () => void]
  | [path: string, listener?: () => void];

export function connectArgs(args: ConnectArgs | unknown[]): { options: NetConnectOptions; listener: (() => void) | undefined } {
  const [first, second, third] = args;
  let options: NetConnectOptions;
  let listener: unknown;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof second === 'string' ? second : undefined;
    options = { port: Number(first), ...(host === undefined ? {} : { host }) };
    listener = typeof second === 'function' ? second : third;
  } else if (typeof first === 'string') {
    options = { path: first };
    listener = second;
  } else {
    options = validateObject<NetConnectOptions>(first, 'options');
    if (first === undefined) throw invalidArgType('options', 'of type object', first);
    listener = second;
  }
  if (listener !== undefined && typeof listener !== 'function') {
    throw invalidArgType('connectListener', 'of type function', listener);
  }
  return { options, listener: listener as (() => void) | undefined };
}
