// TlsConnection: the HttpConnection under one TLSSocket of
// createSecureServer(). tls wraps it in a JSStreamSocket and runs the
// handshake and the records over it. What tls would decide with its own JS
// timers becomes a read deadline on the kernel stream underneath: the
// handshake's limit (from the accept until tls says the handshake is done)
// and the TLSSocket's idle timeout (socket.setTimeout: keep-alive,
// server.timeout), which is forwarded here with its 'timeout'. The
// TLSSocket also gets the stream's addresses: tls asks its handle for them,
// and a JS stream's handle has none.
import tls from 'node:tls';
import { HttpConnection, type RequestLimits } from './http-connection.js';
import type { KernelSocket } from './socket.js';
import { invalidArgType } from './validate.js';

/** tls's error for a handshake that did not finish in time (its 'tlsClientError'). */
function handshakeTimeoutError(): Error {
  return Object.assign(new Error('TLS handshake timeout'), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
}

/** A connection's clocks under TLS: the handshake's until it is done, then the server's request clocks. */
class TlsClocks implements RequestLimits {
  secure = false;
  readonly #server: RequestLimits;
  readonly #handshakeTimeout: number;

  constructor(server: RequestLimits, handshakeTimeout: number) {
    this.#server = server;
    this.#handshakeTimeout = handshakeTimeout;
  }

  /** Until the handshake is done, "the headers" are the handshake. */
  get headersTimeout(): number {
    return this.secure ? this.#server.headersTimeout : this.#handshakeTimeout;
  }

  get requestTimeout(): number {
    return this.secure ? this.#server.requestTimeout : 0;
  }

  timeoutError(): Error | undefined {
    return this.secure ? undefined : handshakeTimeoutError();
  }
}

/** What tls keeps on a TLSSocket (not in its types) that this file reads or fills in. */
interface TlsInternals {
  /** TLSWrap; its _parentWrap is the JSStreamSocket, whose `stream` is the stream tls wraps. */
  _handle: { _parentWrap?: { stream?: unknown } } | null;
  /** net's cache of getpeername() / getsockname(). */
  _peername?: object;
  _sockname?: object;
}

const adopted = new WeakMap<tls.TLSSocket, TlsConnection>();

export class TlsConnection extends HttpConnection {
  readonly #clocks: TlsClocks;

  /** `handshakeTimeout` ms from the accept (0 = none), then `server`'s request clocks. */
  constructor(sock: KernelSocket, server: RequestLimits, handshakeTimeout: number, writeTimeout: number) {
    const clocks = new TlsClocks(server, handshakeTimeout);
    super(sock, clocks, writeTimeout);
    this.#clocks = clocks;
  }

  /**
   * The TlsConnection under `socket` if it is a TLSSocket over one, which
   * takes the TLSSocket over on first sight (its addresses and idle timeout).
   */
  static of(socket: unknown): TlsConnection | undefined {
    if (!(socket instanceof tls.TLSSocket)) return undefined;
    const known = adopted.get(socket);
    if (known !== undefined) return known;
    const stream = (socket as unknown as TlsInternals)._handle?._parentWrap?.stream;
    if (!(stream instanceof TlsConnection)) return undefined;
    stream.#adopt(socket);
    return stream;
  }

  /** tls says the handshake is done: the first request's clocks start now, as stock's parser's do. */
  secured(): void {
    if (this.#clocks.secure) return;
    this.#clocks.secure = true;
    this.startRequest();
  }

  #adopt(socket: tls.TLSSocket): void {
    adopted.set(socket, this);
    const net = socket as unknown as TlsInternals;
    if (this.remoteAddress !== undefined) {
      net._peername = { address: this.remoteAddress, port: this.remotePort, family: this.remoteFamily };
    }
    net._sockname = this.address();
    // net's setTimeout would start a JS timer on the TLSSocket: the kernel
    // stream's read deadline decides instead, and its 'timeout' is the TLSSocket's.
    socket.setTimeout = (ms: number, callback?: () => void) => {
      if (callback !== undefined && typeof callback !== 'function') {
        throw invalidArgType('callback', 'of type function', callback);
      }
      this.setTimeout(ms);
      (socket as { timeout?: number }).timeout = ms;
      if (callback !== undefined) {
        if (ms === 0) socket.removeListener('timeout', callback);
        else socket.once('timeout', callback);
      }
      return socket;
    };
    this.on('timeout', () => socket.emit('timeout'));
    // tls forwards these to its handle, which cannot reach the kernel socket.
    socket.setNoDelay = (noDelay?: boolean) => {
      this.setNoDelay(noDelay);
      return socket;
    };
    socket.setKeepAlive = (enable?: boolean, initialDelay?: number) => {
      this.setKeepAlive(enable, initialDelay);
      return socket;
    };
  }
}
