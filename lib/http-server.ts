// createServer(): a real http.Server whose listener is a KernelServer and
// whose connections are HttpConnections, so its keep-alive, server.timeout,
// headersTimeout and requestTimeout are decided by the kernel. Everything
// else (parser, options, events, close(), closeIdleConnections()) is http's
// own: this file only supplies what net.Server would have, through a
// KernelListener (the listening handle, the connection count, where each
// request's headers and body end).
import http from 'node:http';
import { HttpConnection } from './http-connection.js';
import { KernelListener, listeningByKernel, NO_SWEEP, type KernelHttpOptions } from './http-listener.js';
import { validateObject, validateTimeout } from './validate.js';

export type { HttpListenOptions } from './http-listener.js';

export interface ServerOptions extends http.ServerOptions, KernelHttpOptions {}

/** An http.Server listening with a kernel listener; see createServer(). */
export class KernelHttpServer extends listeningByKernel(http.Server) {
  constructor(options: ServerOptions = {}, requestListener?: http.RequestListener) {
    const { engine, timer, writeTimeout, ...httpOptions } = options;
    super({ ...httpOptions, connectionsCheckingInterval: NO_SWEEP }, requestListener);
    const ms = validateTimeout(writeTimeout, 'options.writeTimeout', 0);
    new KernelListener(
      this,
      { engine, timer, noDelay: httpOptions.noDelay },
      (sock) => new HttpConnection(sock, this, ms),
      (socket) => (socket instanceof HttpConnection ? socket : undefined),
    );
  }
}

/**
 * As http.createServer([options][, requestListener]): a real http.Server
 * whose listen() listens with a kernel listener and whose timeouts are the
 * kernel's (see the README, "HTTP servers").
 */
export function createServer(requestListener?: http.RequestListener): KernelHttpServer;
export function createServer(options: ServerOptions, requestListener?: http.RequestListener): KernelHttpServer;
export function createServer(
  options?: ServerOptions | http.RequestListener,
  requestListener?: http.RequestListener,
): KernelHttpServer {
  if (typeof options === 'function') return new KernelHttpServer({}, options);
  return new KernelHttpServer(validateObject<ServerOptions>(options, 'options'), requestListener);
}
