// KernelListener: what net.Server would do underneath an http.Server or an
// https.Server whose connections are kernel sockets. It parses net's listen()
// signatures and listens with a KernelServer, accepts, wraps each accepted
// socket as an HttpConnection, counts connections as net does, and tells each
// connection when its requests' headers and bodies are in.
// listeningByKernel() gives http.Server or https.Server the listen(),
// kernelServer and emit() that go through one: KernelHttpServer and
// KernelHttpsServer are built on it.
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Engine } from './engine.js';
import type { HttpConnection } from './http-connection.js';
import { listen, type ListenOptions } from './listen.js';
import type { KernelServer } from './server.js';
import type { KernelSocket } from './socket.js';
import type { TimerMode } from './timer-mode.js';
import { invalidArgType, validateObject } from './validate.js';

/** The listen() options: net's (port, host, path, backlog, signal) and the package's. */
export type HttpListenOptions = ListenOptions & { exclusive?: boolean; ipv6Only?: boolean };

/** The package's options of createServer() and createSecureServer(). */
export interface KernelHttpOptions {
  /** What runs the listener and the connections: 'threads' (default) or 'loop'. listen()'s options may override it. */
  engine?: Engine;
  /** Kernel timer of the connections' reads and writes. */
  timer?: TimerMode;
  /** ms within which each response write must be in the kernel, or the connection is destroyed; 0 (default) = none. */
  writeTimeout?: number;
}

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
export const NO_SWEEP = 2 ** 31 - 1;

/** Each server's KernelListener, registered by its constructor. */
const listeners = new WeakMap<http.Server, KernelListener>();

/** What a request's req.socket is over: the HttpConnection whose clocks it runs on, or undefined. */
export type ConnectionOf = (socket: unknown) => HttpConnection | undefined;

// biome-ignore lint/suspicious/noExplicitAny: a mixin's base takes any constructor arguments
type ServerClass = new (...args: any[]) => http.Server;

/**
 * What listeningByKernel() returns, spelled out so the shipped types name it
 * rather than inline all of http.Server's members.
 */
export type KernelListening<B extends ServerClass> = new (
  // biome-ignore lint/suspicious/noExplicitAny: as ServerClass
  ...args: any[]
) => InstanceType<B> & {
  /** The KernelServer underneath once listening (its accept timeout, fd). */
  readonly kernelServer: KernelServer | undefined;
};

/**
 * `Base` (http.Server or https.Server) whose listen() is a kernel listener's
 * and whose requests tell their connections when their headers and bodies
 * are in: the subclass's constructor makes its KernelListener.
 */
export function listeningByKernel<B extends ServerClass>(Base: B): KernelListening<B> {
  return class extends Base {
    /** The KernelServer underneath once listening (its accept timeout, fd). */
    get kernelServer(): KernelServer | undefined {
      return listeners.get(this)?.kernelServer;
    }

    // biome-ignore lint/suspicious/noExplicitAny: net's listen() overloads, parsed by the listener
    override listen(...args: any[]): this {
      listeners.get(this)?.listen(args);
      return this;
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      // Until the subclass's constructor has made it there is no listener, and nothing it needs.
      listeners.get(this)?.beforeEmit(event, args);
      return super.emit(event as string, ...args);
    }
  } as unknown as KernelListening<B>;
}

export class KernelListener {
  readonly #server: http.Server;
  readonly #engine: Engine | undefined;
  readonly #timer: TimerMode | undefined;
  /** net.Server sets TCP_NODELAY on accepted sockets; http's default is true. */
  readonly #noDelay: boolean;
  readonly #wrap: (sock: KernelSocket) => HttpConnection;
  readonly #connectionOf: ConnectionOf;
  #kernel: KernelServer | undefined;
  #starting = false;

  /**
   * `wrap` makes the connection the server parses from an accepted socket;
   * `connectionOf` finds it again from a request's req.socket.
   */
  constructor(
    server: http.Server,
    options: Pick<KernelHttpOptions, 'engine' | 'timer'> & { noDelay?: boolean },
    wrap: (sock: KernelSocket) => HttpConnection,
    connectionOf: ConnectionOf,
  ) {
    this.#server = server;
    this.#engine = options.engine;
    this.#timer = options.timer;
    this.#noDelay = options.noDelay ?? true;
    this.#wrap = wrap;
    this.#connectionOf = connectionOf;
    listeners.set(server, this);
  }

  get kernelServer(): KernelServer | undefined {
    return this.#kernel;
  }

  /** net's listen(...args) on a kernel listener: 'listening' (or 'error') follows. */
  listen(args: unknown[]): void {
    const { options, callback } = listenArgs(args);
    const server = this.#server;
    const net = server as unknown as NetInternals;
    if (net._handle || this.#starting) {
      throw Object.assign(new Error('Listen method has been called more than once without closing.'), {
        code: 'ERR_SERVER_ALREADY_LISTEN',
      });
    }
    if (callback) server.once('listening', callback);
    const { exclusive: _exclusive, ipv6Only: _ipv6Only, ...rest } = options;
    const kernelOptions: ListenOptions = {
      ...(this.#engine === undefined ? {} : { engine: this.#engine }),
      ...(this.#timer === undefined ? {} : { timer: this.#timer }),
      ...rest,
    };
    this.#starting = true;
    listen(kernelOptions).then(
      (kernel) => {
        this.#starting = false;
        this.#kernel = kernel;
        const address = kernel.address();
        if ('path' in address) net._pipeName = address.path;
        net._handle = handleFor(kernel, 'path' in address);
        net._connectionKey = 'path' in address ? address.path : `${address.address}:${address.port}`;
        server.emit('listening');
        void this.#acceptAll(kernel);
      },
      (err: Error) => {
        this.#starting = false;
        server.emit('error', err);
      },
    );
  }

  /**
   * Accepts until close(). A transient accept error (EMFILE, ECONNABORTED,
   * ...) is retried after a back-off by the server's iterator, so the server
   * keeps listening as net's does; any other is the server's 'error', and it
   * stops listening (an error that says the listener is broken would repeat).
   */
  async #acceptAll(kernel: KernelServer): Promise<void> {
    try {
      for await (const sock of kernel) this.#connection(sock);
    } catch (err) {
      this.#server.emit('error', err);
      if (this.#server.listening) this.#server.close();
    }
  }

  #connection(sock: KernelSocket): void {
    const net = this.#server as unknown as NetInternals;
    const max = this.#server.maxConnections;
    if (Number.isInteger(max) && net._connections >= max) {
      // As net: over maxConnections, the connection is closed at once.
      void sock.close();
      return;
    }
    const conn = this.#wrap(sock);
    if (this.#noDelay) conn.setNoDelay(true);
    net._connections++;
    conn.once('close', () => {
      net._connections--;
      net._emitCloseIfDrained();
    });
    this.#server.emit('connection', conn);
    watchMessageBegin(conn, conn);
  }

  /**
   * Called with each event the server emits, before its listeners: after a
   * request's headers, tells its connection when its headers, then its
   * body, are in.
   */
  beforeEmit(event: string | symbol, args: unknown[]): void {
    if (typeof event !== 'string' || !HEADERS_IN.has(event)) return;
    const req = args[0] as IncomingMessage;
    const conn = this.#connectionOf(req.socket);
    if (conn === undefined) return;
    conn.headersReceived(req);
    // An upgrade's or CONNECT's bytes after the headers are the user's, not a body.
    if (event === 'upgrade' || event === 'connect') conn.requestReceived(req);
    else req.once('end', () => conn.requestReceived(req));
  }
}

/** The part of http's parser (an HTTPParser, `socket.parser`) used here. */
interface Parser {
  constructor: { kOnMessageBegin?: unknown };
  [slot: number]: unknown;
}

/**
 * Tells conn each time http's parser of `socket` (conn itself, or the
 * TLSSocket over it) begins a request, from the parser's own message-begin
 * callback (the instant Node's headersTimeout counts from). http set the
 * parser up in its 'connection' ('secureConnection') listener and clears the
 * callback when it frees the parser, so a reused parser keeps none. Where
 * the parser has no such slot, a request's clocks start with the first read
 * after the previous request's body (HttpConnection).
 */
export function watchMessageBegin(socket: object, conn: HttpConnection): void {
  const parser = (socket as { parser?: Parser | null }).parser;
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
