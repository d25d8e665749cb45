// createServer(): a real http.Server whose listener is a KernelServer and
// whose connections are HttpConnections, so its keep-alive, server.timeout,
// headersTimeout and requestTimeout are decided by the kernel. Everything
// else (parser, options, events, close(), closeIdleConnections()) is http's
// own: this file only supplies what net.Server would have (the listening
// handle, the connection count) and tells each connection where its
// requests' headers and bodies end.
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { HttpConnection } from './http-connection.js';
import { listen, type ListenOptions } from './listen.js';
import type { KernelServer } from './server.js';
import type { KernelSocket } from './socket.js';
import type { Engine } from './engine.js';
import type { TimerMode } from './timer-mode.js';
import { invalidArgType, validateObject, validateTimeout } from './validate.js';

export interface ServerOptions extends http.ServerOptions {
  /** What runs the listener and the connections: 'threads' (default) or 'loop'. listen()'s options may override it. */
  engine?: Engine;
  /** Kernel timer of the connections' reads and writes. */
  timer?: TimerMode;
  /** ms within which each response write must be in the kernel, or the connection is destroyed; 0 (default) = none. */
  writeTimeout?: number;
}

/** The listen() options: net's (port, host, path, backlog, signal) and the package's. */
export type HttpListenOptions = ListenOptions & { exclusive?: boolean; ipv6Only?: boolean };

/** The parts of net.Server (not in its types) this file stands in for. */
interface NetInternals {
  _handle: object | null;
  _connectionKey: string | undefined;
  _pipeName: string | undefined;
  _connections: number;
  _emitCloseIfDrained(): void;
}

/** The events after which http's parser holds a request's headers. */
const HEADERS_IN = new Set(['request', 'checkContinue', 'checkExpectation', 'upgrade', 'connect']);

/** Node's sweep of headersTimeout/requestTimeout runs this rarely: never, in practice (setInterval's maximum). */
const NO_SWEEP = 2 ** 31 - 1;

/** An http.Server listening with a kernel listener; see createServer(). */
export class KernelHttpServer extends http.Server {
  readonly #engine: Engine | undefined;
  readonly #timer: TimerMode | undefined;
  readonly #writeTimeout: number;
  /** net.Server sets TCP_NODELAY on accepted sockets; http's default is true. */
  readonly #noDelay: boolean;
  #kernel: KernelServer | undefined;
  #starting = false;

  constructor(options: ServerOptions = {}, requestListener?: http.RequestListener) {
    const { engine, timer, writeTimeout, ...httpOptions } = options;
    super({ ...httpOptions, connectionsCheckingInterval: NO_SWEEP }, requestListener);
    this.#engine = engine;
    this.#timer = timer;
    this.#writeTimeout = validateTimeout(writeTimeout, 'options.writeTimeout', 0);
    this.#noDelay = httpOptions.noDelay ?? true;
  }

  /** The KernelServer underneath once listening (its accept timeout, fd). */
  get kernelServer(): KernelServer | undefined {
    return this.#kernel;
  }

  // biome-ignore lint/suspicious/noExplicitAny: net's listen() overloads, parsed below
  override listen(...args: any[]): this {
    const { options, callback } = listenArgs(args);
    const net = this as unknown as NetInternals;
    if (net._handle || this.#starting) {
      throw Object.assign(new Error('Listen method has been called more than once without closing.'), {
        code: 'ERR_SERVER_ALREADY_LISTEN',
      });
    }
    if (callback) this.once('listening', callback);
    const { exclusive: _exclusive, ipv6Only: _ipv6Only, ...rest } = options;
    const kernelOptions: ListenOptions = {
      ...(this.#engine === undefined ? {} : { engine: this.#engine }),
      ...(this.#timer === undefined ? {} : { timer: this.#timer }),
      ...rest,
    };
    this.#starting = true;
    listen(kernelOptions).then(
      (server) => {
        this.#starting = false;
        this.#kernel = server;
        const address = server.address();
        if ('path' in address) net._pipeName = address.path;
        net._handle = handleFor(server, 'path' in address);
        net._connectionKey = 'path' in address ? address.path : `${address.address}:${address.port}`;
        this.emit('listening');
        void this.#acceptAll(server);
      },
      (err: Error) => {
        this.#starting = false;
        this.emit('error', err);
      },
    );
    return this;
  }

  /**
   * Accepts until close(). A transient accept error (EMFILE, ECONNABORTED,
   * ...) is retried after a back-off by the server's iterator, so the server
   * keeps listening as net's does; any other is the server's 'error', and it
   * stops listening (an error that says the listener is broken would repeat).
   */
  async #acceptAll(server: KernelServer): Promise<void> {
    try {
      for await (const sock of server) this.#connection(sock);
    } catch (err) {
      this.emit('error', err);
      if (this.listening) this.close();
    }
  }

  #connection(sock: KernelSocket): void {
    const net = this as unknown as NetInternals;
    const max = this.maxConnections;
    if (Number.isInteger(max) && net._connections >= max) {
      // As net: over maxConnections, the connection is closed at once.
      void sock.close();
      return;
    }
    const conn = new HttpConnection(sock, this, this.#writeTimeout);
    if (this.#noDelay) conn.setNoDelay(true);
    net._connections++;
    conn.once('close', () => {
      net._connections--;
      net._emitCloseIfDrained();
    });
    this.emit('connection', conn);
    watchMessageBegin(conn);
  }

  /** Tells each request's connection when its headers (then its body) are in. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (typeof event === 'string' && HEADERS_IN.has(event)) {
      const req = args[0] as IncomingMessage;
      const conn = req.socket;
      if (conn instanceof HttpConnection) {
        conn.headersReceived(req);
        // An upgrade's or CONNECT's bytes after the headers are the user's, not a body.
        if (event === 'upgrade' || event === 'connect') conn.requestReceived(req);
        else req.once('end', () => conn.requestReceived(req));
      }
    }
    return super.emit(event as string, ...args);
  }
}

/** The part of http's parser (an HTTPParser, `socket.parser`) used here. */
interface Parser {
  constructor: { kOnMessageBegin?: unknown };
  [slot: number]: unknown;
}

/**
 * Tells conn each time http's parser begins a request, from the parser's
 * own message-begin callback (the instant Node's headersTimeout counts
 * from). http set the parser up in its 'connection' listener and clears the
 * callback when it frees the parser, so a reused parser keeps none. Where
 * the parser has no such slot, a request's clocks start with the first read
 * after the previous request's body (HttpConnection).
 */
function watchMessageBegin(conn: HttpConnection): void {
  const parser = (conn as unknown as { parser?: Parser | null }).parser;
  const slot = parser?.constructor.kOnMessageBegin;
  if (!parser || typeof slot !== 'number') return;
  parser[slot] = () => conn.messageBegan();
}

/** What net.Server's close(), address() and listening use of a handle. */
function handleFor(server: KernelServer, isPath: boolean): object {
  const handle = {
    close: () => void server.close(),
    ref: () => {},
    unref: () => {},
  };
  if (isPath) return handle;
  return {
    ...handle,
    getsockname: (out: Record<string, unknown>) => {
      Object.assign(out, server.address());
      return 0;
    },
  };
}

/**
 * net's listen() signatures: (options[, cb]), (path[, backlog][, cb]),
 * ([port[, host[, backlog]]][, cb]).
 */
function listenArgs(args: unknown[]): { options: HttpListenOptions; callback: (() => void) | undefined } {
  const list = [...args];
  const callback = typeof list[list.length - 1] === 'function' ? (list.pop() as () => void) : undefined;
  const [first, second, third] = list;
  if (first !== null && typeof first === 'object') {
    return { options: validateObject<HttpListenOptions>(first, 'options'), callback };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) {
    return { options: { path: first, ...(typeof second === 'number' ? { backlog: second } : {}) }, callback };
  }
  if (first !== undefined && first !== null && typeof first !== 'number' && typeof first !== 'string') {
    throw invalidArgType('options', 'of type object, number or string', first);
  }
  const options: HttpListenOptions = {};
  if (first !== undefined && first !== null) options.port = Number(first);
  if (typeof second === 'string') {
    options.host = second;
    if (typeof third === 'number') options.backlog = third;
  } else if (typeof second === 'number') options.backlog = second;
  return { options, callback };
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
