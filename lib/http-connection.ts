// HttpConnection: one accepted KernelSocket as the stream.Duplex that
// http.Server parses, with every timeout http sets decided by the kernel.
// http's idle timer (socket.setTimeout: keep-alive, server.timeout) and the
// request clocks (headersTimeout, requestTimeout) become one read deadline
// on the pending read, so a byte that reached the kernel before its deadline
// is read whatever the event loop did; 'timeout' (or a 408) follows only the
// kernel's verdict that nothing came in time.
import { Duplex } from 'node:stream';
import { ReadTimeoutError } from './errors.js';
import { kSettled } from './operation.js';
import type { KernelSocket, SocketAddress, WriteOptions } from './socket.js';
import { netKeepAlive } from './tcp-options.js';
import { invalidArgType, MAX_READ_SIZE, outOfRange, validateTimeout } from './validate.js';

/** What the connection reads from its server, live (http's own properties). */
export interface RequestLimits {
  headersTimeout: number;
  requestTimeout: number;
  /** The error for an expired request clock (default: http's, which it answers with 408). */
  timeoutError?(): Error | undefined;
}

type Done = (err?: Error | null) => void;

/** Node's error for an expired headersTimeout/requestTimeout: http answers it with 408. */
function requestTimeoutError(): Error {
  return Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
}

export class HttpConnection extends Duplex {
  readonly #sock: KernelSocket;
  readonly #limits: RequestLimits;
  readonly #writeTimeout: number;
  readonly #remote: SocketAddress | undefined;
  readonly #local: SocketAddress | undefined;
  #reading = false;
  #readWanted = 0;
  /** setTimeout's ms (0 = off) and when its idle period began (epoch ms); undefined once it has fired. */
  #idleMs = 0;
  #idleFrom: number | undefined;
  /** The current request's clocks: when it began, and whether its headers and its body are in. */
  #requestFrom: number | undefined;
  #headersIn = false;
  #bodyIn = false;
  /** The request whose headers are in: its `complete` says the parser has its body too. */
  #request: { readonly complete: boolean } | undefined;
  /** Whether http's parser has begun a request on this connection yet. */
  #begun = false;
  /** When each chunk pushed was read (epoch ms), and that of the chunk http's parser last took. */
  readonly #readAt = new WeakMap<Buffer, number>();
  #parsingFrom: number | undefined;
  #bytesRead = 0;
  #bytesWritten = 0;
  /** The deadline last given to the kernel (epoch ms), or null. */
  #deadline: number | null = null;

  constructor(sock: KernelSocket, limits: RequestLimits, writeTimeout: number) {
    // allowHalfOpen as net.Server gives http: http ends the connection itself.
    super({ allowHalfOpen: true, readableHighWaterMark: 65536, decodeStrings: true });
    this.#sock = sock;
    this.#limits = limits;
    this.#writeTimeout = writeTimeout;
    try {
      this.#local = sock.address();
      this.#remote = sock.remoteAddress();
    } catch {
      // Reset before we asked: the first read reports it.
    }
    // The first request's clocks start at the accept, as Node's parser's do.
    this.#requestFrom = Date.now();
  }

  /** Starts the next request's clocks now, as at the accept (over TLS: once the handshake is done). */
  startRequest(): void {
    this.#requestFrom = Date.now();
    this.#headersIn = false;
    this.#bodyIn = false;
    this.#request = undefined;
    this.#retime();
  }

  /** http's parser has `req`'s headers (the server emitted 'request', 'upgrade', ...). */
  headersReceived(req: { readonly complete: boolean }): void {
    this.#headersIn = true;
    this.#request = req;
    this.#retime();
  }

  /**
   * http's parser began a request (it met its first byte). Its clocks start
   * when the read that brought that byte completed: for a pipelined request,
   * already in a chunk that also held the one before, that read, not the
   * previous request's first byte nor its end. The first request's clocks
   * keep the accept as their start.
   */
  messageBegan(): void {
    if (this.#begun) this.#requestFrom = this.#parsingFrom ?? Date.now();
    this.#begun = true;
    this.#headersIn = false;
    this.#bodyIn = false;
    this.#request = undefined;
    this.#retime();
  }

  /**
   * `req`'s body is in (its 'end'): until the next request begins, no
   * request clock runs. A pipelined request may have begun already; then
   * this late 'end' of the one before changes nothing.
   */
  requestReceived(req: { readonly complete: boolean }): void {
    if (req !== this.#request) return;
    this.#bodyIn = true;
    this.#requestFrom = undefined;
    this.#retime();
  }

  /** The earliest of the idle and request deadlines (epoch ms), or null. */
  #due(): { at: number; request: boolean } | null {
    let at = Number.POSITIVE_INFINITY;
    let request = false;
    if (this.#idleMs > 0 && this.#idleFrom !== undefined) at = this.#idleFrom + this.#idleMs;
    const from = this.#requestFrom;
    if (from !== undefined) {
      const { headersTimeout, requestTimeout } = this.#limits;
      const bodyIn = this.#bodyIn || this.#request?.complete === true;
      const limits = [!this.#headersIn ? headersTimeout : 0, !bodyIn ? requestTimeout : 0];
      for (const ms of limits) {
        if (ms > 0 && from + ms <= at) {
          at = from + ms;
          request = true;
        }
      }
    }
    return Number.isFinite(at) ? { at, request } : null;
  }

  /** Gives the kernel the current deadline: at least 1 ms ahead, so bytes already there win. */
  #retime(): void {
    if (this.destroyed) return;
    const due = this.#due();
    const deadline = due === null ? null : Math.max(due.at, Date.now() + 1);
    if (deadline === this.#deadline) return;
    this.#deadline = deadline;
    this.#sock.setReadDeadline(deadline);
  }

  override _read(size: number): void {
    this.#readWanted = Math.max(1, Math.min(size, MAX_READ_SIZE));
    this.#read();
  }

  #read(): void {
    if (this.#reading || this.destroyed) return;
    this.#reading = true;
    this.#retime();
    this.#sock.read(this.#readWanted).then(
      (chunk) => {
        this.#reading = false;
        if (this.destroyed) return;
        if (chunk === null) {
          // As net: 'end' comes even if nobody reads (an upgraded socket with
          // no 'data' listener), so autoDestroy closes a finished connection.
          this.push(null);
          this.read(0);
          return;
        }
        const now = Date.now();
        this.#bytesRead += chunk.length;
        if (this.#requestFrom === undefined) {
          // The first byte of the next request.
          this.#requestFrom = now;
          this.#headersIn = false;
          this.#bodyIn = false;
          this.#request = undefined;
        }
        if (this.#idleMs > 0) this.#idleFrom = now;
        this.#retime();
        this.#readAt.set(chunk, now);
        this.push(chunk);
      },
      (err: unknown) => {
        this.#reading = false;
        if (this.destroyed) return;
        if (err instanceof ReadTimeoutError) this.#timedOut();
        else this.destroy(err as Error);
      },
    );
  }

  /** The kernel says no byte came by the deadline: judge which clock ran out. */
  #timedOut(): void {
    const due = this.#due();
    if (due !== null && due.at <= Date.now()) {
      if (due.request) {
        // http's socketOnError answers 408 (or 'clientError') and destroys.
        this.emit('error', this.#limits.timeoutError?.() ?? requestTimeoutError());
        return;
      }
      // net's idle timer fires once per idle period.
      this.#idleFrom = undefined;
      this.emit('timeout');
    }
    // A read or write moved the deadline later, or 'timeout' kept the connection: read on.
    if (!this.destroyed) this.#read();
  }

  /** Notes when the chunk http's parser takes next ('data') was read, for messageBegan(). */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') this.#parsingFrom = this.#readAt.get(args[0] as Buffer);
    return super.emit(event, ...args);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: Done): void {
    this._write(Buffer.concat(chunks.map((c) => c.chunk)), 'binary', cb);
  }

  /**
   * One sock.write() (none for an empty chunk, which it refuses), within
   * the server's writeTimeout. It completes as net.Socket's write does:
   * within this call when the kernel takes every byte at once. http relies
   * on that: a response whose write() said false emits 'drain' only if the
   * socket is empty right after http handed it the bytes, or once the
   * socket emits its own 'drain' (Node 24/26); a socket that reports a
   * write the kernel already took a tick later, below its highWaterMark,
   * gets neither, and a piped request body stalls for good.
   */
  override _write(data: Buffer, _encoding: BufferEncoding, cb: Done): void {
    if (data.length === 0) {
      cb();
      return;
    }
    const written = (err: Error | undefined) => {
      if (err) {
        cb(err);
        return;
      }
      this.#bytesWritten += data.length;
      // Activity restarts net's idle period; the pending read learns it.
      if (this.#idleMs > 0 && this.#idleFrom !== undefined) {
        this.#idleFrom = Date.now();
        this.#retime();
      }
      cb();
    };
    // The outcome reaches cb through kSettled; the promise carries it too.
    this.#sock.write(data, { timeout: this.#writeTimeout, [kSettled]: written } as WriteOptions).catch(() => {});
  }

  override _final(cb: Done): void {
    this.#sock.end().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: Done): void {
    this.#sock.close().then(
      () => cb(err),
      () => cb(err),
    );
  }

  /**
   * net's idle timeout, decided by the kernel: 'timeout' once no byte has
   * been read or written for `ms` (0 = off). http sets keepAliveTimeout and
   * server.timeout through it.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number') throw invalidArgType('msecs', 'of type number', ms);
    if (!(ms >= 0 && Number.isFinite(ms))) throw outOfRange('msecs', 'a non-negative finite number', ms);
    if (callback !== undefined) {
      if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.timeout = ms;
    this.#idleMs = ms;
    this.#idleFrom = ms > 0 ? Date.now() : undefined;
    this.#retime();
    return this;
  }

  timeout = 0;

  /** Ends the writable side, then destroys once it has finished (net's destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  setNoDelay(noDelay = true): this {
    if (this.#local && 'address' in this.#local && !this.destroyed) this.#sock.setNoDelay(Boolean(noDelay));
    return this;
  }

  /** SO_KEEPALIVE with net's probes (see KernelSocketStream#setKeepAlive); nothing on a Unix path. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    const delay = validateTimeout(initialDelay, 'initialDelay', 0);
    if (this.#local && 'address' in this.#local && !this.destroyed) {
      this.#sock.setKeepAlive(netKeepAlive(Boolean(enable), delay));
    }
    return this;
  }

  /** The KernelSocket underneath (its timeouts, TCP options, info()). */
  get socket(): KernelSocket {
    return this.#sock;
  }

  get remoteAddress(): string | undefined {
    return this.#remote && 'address' in this.#remote ? this.#remote.address : undefined;
  }

  get remotePort(): number | undefined {
    return this.#remote && 'port' in this.#remote ? this.#remote.port : undefined;
  }

  get remoteFamily(): string | undefined {
    return this.#remote && 'family' in this.#remote ? this.#remote.family : undefined;
  }

  get localAddress(): string | undefined {
    return this.#local && 'address' in this.#local ? this.#local.address : undefined;
  }

  get localPort(): number | undefined {
    return this.#local && 'port' in this.#local ? this.#local.port : undefined;
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  get bytesWritten(): number {
    return this.#bytesWritten + this.writableLength;
  }

  address(): { address: string; port: number; family: string } | Record<string, never> {
    const l = this.#local;
    return l && 'address' in l ? { address: l.address, port: l.port, family: l.family } : {};
  }
}
