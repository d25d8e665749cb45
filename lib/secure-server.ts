// createSecureServer(), loading node:https (and with it node:tls) only when
// it is first called: requiring node:tls makes Node read the system's CA
// certificates on a thread of its own, with a file open, which a program
// that never serves https should not pay for.
import type http from 'node:http';
import type { KernelHttpsServer, SecureServerOptions } from './https-server.js';
import { validateObject } from './validate.js';

/**
 * As https.createServer(options[, requestListener]): a real https.Server
 * whose listen() listens with a kernel listener and whose timeouts, the TLS
 * handshake's included, are the kernel's (see docs/http-server.md).
 */
export function createSecureServer(requestListener?: http.RequestListener): KernelHttpsServer;
export function createSecureServer(options: SecureServerOptions, requestListener?: http.RequestListener): KernelHttpsServer;
export function createSecureServer(
  options?: SecureServerOptions | http.RequestListener,
  requestListener?: http.RequestListener,
): KernelHttpsServer {
  const { KernelHttpsServer: Server } = require('./https-server.js') as typeof import('./https-server.js');
  if (typeof options === 'function') return new Server({}, options);
  return new Server(validateObject<SecureServerOptions>(options, 'options'), requestListener);
}
