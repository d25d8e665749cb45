// createSecureServer(): a real https.Server whose listener is a KernelServer
// and whose TLSSockets run over kernel streams (TlsConnections), so the TLS
// handshake's limit, keep-alive, server.timeout, headersTimeout and
// requestTimeout are all decided by the kernel. Everything else (tls and its
// options, 'secureConnection', 'tlsClientError', ALPN, SNI, http's parser,
// close(), closeIdleConnections()) is https's own. Loaded only when
// createSecureServer() (lib/secure-server.ts) is first called.
import type http from 'node:http';
import https from 'node:https';
import { KernelListener, listeningByKernel, NO_SWEEP, watchMessageBegin, type KernelHttpOptions } from './http-listener.js';
import { TlsConnection } from './tls-connection.js';
import { invalidArgType, validateTimeout } from './validate.js';

export interface SecureServerOptions extends https.ServerOptions, KernelHttpOptions {}

/** tls's default handshakeTimeout, ms. */
const HANDSHAKE_MS = 120_000;

/** An https.Server listening with a kernel listener; see createSecureServer(). */
export class KernelHttpsServer extends listeningByKernel(https.Server) {
  constructor(options: SecureServerOptions = {}, requestListener?: http.RequestListener) {
    const { engine, timer, writeTimeout, handshakeTimeout, ...httpsOptions } = options;
    // As tls: 0 or absent is the default; a non-positive number, no limit.
    const handshake: unknown = handshakeTimeout || HANDSHAKE_MS;
    if (typeof handshake !== 'number') throw invalidArgType('options.handshakeTimeout', 'of type number', handshake);
    // tls's own handshake timer (a JS timer) is off: tls starts it only for a positive value.
    super({ ...httpsOptions, handshakeTimeout: -1, connectionsCheckingInterval: NO_SWEEP }, requestListener);
    const ms = validateTimeout(writeTimeout, 'options.writeTimeout', 0);
    new KernelListener(
      this,
      { engine, timer, noDelay: httpsOptions.noDelay },
      (sock) => new TlsConnection(sock, this, handshake > 0 ? handshake : 0, ms),
      TlsConnection.of,
    );
  }

  /**
   * Before its listeners see a TLSSocket, its TlsConnection takes it over
   * (addresses, idle timeout); on 'secureConnection' the handshake's clock
   * gives way to the first request's.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'secureConnection') {
      const conn = TlsConnection.of(args[0]);
      conn?.secured();
      const delivered = super.emit(event, ...args);
      // https's own listener has set the TLSSocket's parser up by now.
      if (conn !== undefined) watchMessageBegin(args[0] as object, conn);
      return delivered;
    }
    if (event === 'tlsClientError') TlsConnection.of(args[1]);
    return super.emit(event as string, ...args);
  }
}
