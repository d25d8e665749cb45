// createConnection(): net.createConnection()'s shape over a KernelSocket.
// Returns the stream at once and connects in the background, as pools and
// http.Agent's createConnection need.
import { connectArgs, type ConnectArgs, type NetConnectOptions } from './net-args.js';
import { KernelSocketStream, type StreamOptions } from './stream.js';

/**
 * `createConnection(options[, connectListener])`,
 * `createConnection(port[, host][, connectListener])` or
 * `createConnection(path[, connectListener])`, as net's. Bad arguments
 * throw here; a failed connect emits 'error' then 'close'.
 */
export function createConnection(options: NetConnectOptions, connectListener?: () => void): KernelSocketStream;
export function createConnection(port: number, host?: string, connectListener?: () => void): KernelSocketStream;
export function createConnection(path: string, connectListener?: () => void): KernelSocketStream;
export function createConnection(...args: unknown[]): KernelSocketStream {
  const { options, listener } = connectArgs(args as ConnectArgs);
  const stream: StreamOptions = {};
  for (const k of ['highWaterMark', 'readableHighWaterMark', 'writableHighWaterMark', 'allowHalfOpen', 'replyTimeout'] as const) {
    if (options[k] !== undefined) (stream as Record<string, unknown>)[k] = options[k];
  }
  return new KernelSocketStream(stream).connect(options, listener);
}
