// KernelSocketStream: a KernelSocket as a net.Socket-compatible
// stream.Duplex, for pipeline() and for the clients that take a socket or a
// socket factory (http.Agent, undici, pg, ioredis, mysql2, tls.connect).
// Reads and writes are the socket's own, so their timeouts stay in the
// kernel; a timeout or a socket error destroys the stream with the typed
// error. It wraps a connected KernelSocket (toStream()) or connects one
// itself in the background (createConnection(), connect()).
import type { SocketConnectOpts } from 'node:net';
import { Duplex } from 'node:stream';
import { type ConnectEvents, eventsOf, kConnectEvents } from './connect-attempts.js';
import { connect, type ConnectOptions } from './connect.js';
import { ReadTimeoutError, retimed } from './errors.js';
import { ReplyClock, type WatchedRead } from './reply-clock.js';
import { kSettled } from './operation.js';
import { KernelSocket, type SocketAddress, type WriteOptions } from './socket.js';
import { netKeepAlive } from './tcp-options.js';
import { connectArgs, type ConnectArgs, type NetConnectOptions } from './net-args.js';
import {
  MAX_READ_SIZE,
  invalidArgType,
  invalidHandleType,
  outOfRange,
  validateInteger,
  validateObject,
  validateSignal,
  validateTimeout,
} from './validate.js';

export interface StreamOptions {
  /**
   * Bytes buffered on each side before backpressure applies (both the
   * readable and the writable side). Default 65536 for the readable side
   * (one read's worth) and Node's default for the writable side.
   */
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /**
   * When false (the default, as net.Socket), the writable side ends (FIN)
   * once the peer's end of stream has been read.
   */
  allowHalfOpen?: boolean;
  /**
   * ms within which the first byte of a reply must arrive once a write has
   * put its last byte into the kernel, decided by the kernel; 0 (default) =
   * off. While no reply is owed, reads wait without limit, so an idle
   * pooled connection survives. See README "Timeouts for pooled
   * connections". Replaces the socket's own read timeout and read deadline
   * for this stream (it sets the deadline itself).
   */
  replyTimeout?: number;
  /**
   * ms for a later connect() of this stream (its options' connectTimeout
   * wins), decided by the kernel: for clients that call
   * `stream.connect(port, host)` themselves (pg). 0 (default) = none.
   */
  connectTimeout?: number;
}

const DEFAULT_READABLE_HWM = 65536;

type Done = (err?: Error | null) => void;

/**
 * A stream.Duplex over a KernelSocket with net.Socket's members. Each _read
 * is one sock.read() of at most the readable highWaterMark, so the kernel's
 * receive buffer fills (and the peer's writes block) while the consumer is
 * slow. Destroying the stream closes the socket; end() sends FIN after the
 * queued writes.
 */
export class KernelSocketStream extends Duplex {
  #sock: KernelSocket | undefined;
  /** Set while connect() runs; aborted by destroy(). */
  #connecting: AbortController | undefined;
  /** Work waiting for the connect: runs with the socket, or with the error. */
  #waiting: Array<(sock: KernelSocket | Error) => void> = [];
  #reading = false;
  /** The pending read's watch on the owed reply (replyTimeout), and whether the socket's read deadline is set for it. */
  #watched: WatchedRead | undefined;
  #armed = false;
  #readWanted = 0;
  #eof = false;
  readonly #reply: ReplyClock;
  readonly #connectTimeout: number;
  #tcp = false;
  #ref = true;
  #noDelay: boolean | undefined;
  #keepAlive: [boolean, number] | undefined;
  #bytesRead = 0;
  #bytesWritten = 0;
  #idle: NodeJS.Timeout | undefined;
  #hadError = false;
  #remote: SocketAddress | undefined;
  /** "address:port" of each TCP address the last connect() tried, in order (net's autoSelectFamilyAttemptedAddresses). */
  #attempted: string[] = [];
  #local: SocketAddress | undefined;
  /** ms of inactivity before 'timeout' (setTimeout); 0 = none. */
  timeout = 0;

  /**
   * `new KernelSocketStream(sock, options)` wraps a connected KernelSocket;
   * `new KernelSocketStream(options)` makes an unconnected one (as `new
   * net.Socket()`) for connect().
   */
  constructor(sock?: KernelSocket | StreamOptions | null, options?: StreamOptions) {
    const wrapped = sock instanceof KernelSocket ? sock : undefined;
    if (sock !== undefined && sock !== null && !wrapped && options !== undefined) {
      throw invalidArgType('sock', 'an instance of KernelSocket', sock);
    }
    const o = validateObject<StreamOptions>(wrapped || sock === null ? options : (sock ?? options), 'options');
    const hwm = optionalSize(o.highWaterMark, 'options.highWaterMark');
    const readable = optionalSize(o.readableHighWaterMark, 'options.readableHighWaterMark') ?? hwm;
    const writable = optionalSize(o.writableHighWaterMark, 'options.writableHighWaterMark') ?? hwm;
    super({
      allowHalfOpen: o.allowHalfOpen ?? false,
      readableHighWaterMark: readable ?? DEFAULT_READABLE_HWM,
      ...(writable === undefined ? {} : { writableHighWaterMark: writable }),
      // Bytes in, bytes out: strings written are encoded by Writable.
      decodeStrings: true,
    });
    this.#reply = new ReplyClock(validateTimeout(o.replyTimeout, 'options.replyTimeout', 0));
    this.#connectTimeout = validateTimeout(o.connectTimeout, 'options.connectTimeout', 0);
    if (wrapped) this.#connected(wrapped);
  }

  /** The socket underneath (its timeouts, deadlines and addresses); undefined until connected. */
  get socket(): KernelSocket | undefined {
    return this.#sock;
  }

  /**
   * As net.Socket#connect: `connect(options[, listener])`,
   * `connect(port[, host][, listener])` or `connect(path[, listener])`.
   * Returns at once; 'connect' (then 'ready') follows, or 'error' and
   * 'close'. The options are connect()'s (`connectTimeout` is its
   * `timeout`; `timeout` is setTimeout's, as in net).
   */
  connect(options: NetConnectOptions | SocketConnectOpts, connectListener?: () => void): this;
  connect(port: number, host?: string, connectListener?: () => void): this;
  connect(port: number, connectListener?: () => void): this;
  connect(path: string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const { options, listener } = connectArgs(args as ConnectArgs);
    if (this.#sock || this.#connecting) {
      throw Object.assign(new Error('Socket is already connected or connecting'), { code: 'ERR_SOCKET_CONNECTING' });
    }
    if (this.destroyed) throw Object.assign(new Error('Socket is destroyed'), { code: 'ERR_SOCKET_CLOSED' });
    // Bad options throw here, before the connect starts (as net's).
    const own = validateSignal(options.signal);
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    const abort = new AbortController();
    const signal = own ? AbortSignal.any([own, abort.signal]) : abort.signal;
    const inherit = options.connectTimeout === undefined && this.#connectTimeout > 0;
    const netOptions = inherit ? { ...options, connectTimeout: this.#connectTimeout } : options;
    // net's 'lookup' and 'connectionAttempt*' events, emitted here; those
    // of this very call on the next tick, once listeners can be on (as net).
    const events = eventsOf(this);
    const attempted: string[] = [];
    this.#attempted = attempted;
    const emit: ConnectEvents = (event, ...args) => {
      // A TCP attempt names its port; a Unix path's has none.
      if (event === 'connectionAttempt' && args[1] !== undefined) attempted.push(`${args[0]}:${args[1]}`);
      events.emit(event, ...args);
    };
    const connecting = connect({ ...toConnectOptions(netOptions), signal, [kConnectEvents]: emit } as ConnectOptions);
    events.release();
    this.#connecting = abort;
    if (listener) this.once('connect', listener);
    connecting.then(
      (sock) => {
        this.#connecting = undefined;
        if (this.destroyed) {
          void sock.close();
          return;
        }
        this.#connected(sock);
        this.emit('connect');
        this.emit('ready');
      },
      (err: Error) => {
        this.#connecting = undefined;
        this.#settleWaiting(err);
        if (!this.destroyed) this.destroy(err);
      },
    );
    return this;
  }

  #connected(sock: KernelSocket): void {
    this.#sock = sock;
    try {
      this.#local = sock.address();
      this.#remote = sock.remoteAddress();
    } catch {
      // Reset between connect and here: the first read or write reports it.
    }
    this.#tcp = this.#local !== undefined && !('path' in this.#local);
    if (!this.#ref) sock.unref();
    if (this.#noDelay !== undefined) this.setNoDelay(this.#noDelay);
    if (this.#keepAlive) this.setKeepAlive(...this.#keepAlive);
    this.#touch();
    this.#settleWaiting(sock);
    if (this.#readWanted > 0) this.#read(this.#readWanted);
    // As net's afterConnect: start reading, unless paused, whether or not anyone consumes yet.
    else if (!this.isPaused()) this.read(0);
  }

  #settleWaiting(outcome: KernelSocket | Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w(outcome);
  }

  /** Runs fn with the socket once connected; done(err) if that fails. */
  #withSocket(done: Done, fn: (sock: KernelSocket) => void): void {
    if (this.#sock) {
      fn(this.#sock);
      return;
    }
    this.#waiting.push((s) => (s instanceof KernelSocket ? fn(s) : done(s)));
  }

  override _read(size: number): void {
    this.#readWanted = Math.max(1, Math.min(size, MAX_READ_SIZE));
    if (this.#sock) this.#read(this.#readWanted);
  }

  #read(want: number): void {
    const sock = this.#sock!;
    if (this.#reading || this.#eof) return;
    this.#reading = true;
    const watched = this.#reply.enabled ? this.#reply.watch() : undefined;
    this.#watched = watched;
    // An owed reply's time goes in the read's own timeout: drop a deadline
    // left from an earlier read (a passed one would fail it unread).
    if (watched) this.#disarm();
    (watched ? sock.read(want, { timeout: watched.timeout }) : sock.read(want)).then(
      (chunk) => {
        this.#reading = false;
        this.#watched = undefined;
        if (this.destroyed) return;
        if (chunk === null) {
          this.#eof = true;
          this.push(null);
          // As net's onStreamRead: 'end' comes even if nobody reads, so a
          // finished stream (allowHalfOpen off) ends and autoDestroy closes it.
          this.read(0);
          return;
        }
        this.#bytesRead += chunk.length;
        this.#reply.received();
        this.#disarm();
        this.#touch();
        this.push(chunk);
      },
      (err: unknown) => {
        this.#reading = false;
        this.#watched = undefined;
        // A read woken by our own destroy() is expected, not an error.
        if (this.destroyed) return;
        const kernelTimeout = watched && err instanceof ReadTimeoutError && err.errno !== undefined;
        if (kernelTimeout && !this.#reply.expired(watched)) {
          // A write restarted the clock after this read's time was set: wait on.
          this.#read(want);
          return;
        }
        this.destroy(kernelTimeout ? retimed(err, this.#reply.replyTimeout) : (err as Error));
      },
    );
  }

  /** A reply became owed: the pending read (if any) gains its deadline, in the kernel. */
  #arm(): void {
    const deadline = this.#reply.deadline;
    if (!this.#watched || deadline === undefined || this.destroyed) return;
    this.#sock!.setReadDeadline(deadline);
    this.#armed = true;
    this.#reply.armed(this.#watched);
  }

  #disarm(): void {
    if (!this.#armed || this.destroyed) return;
    this.#armed = false;
    this.#sock!.setReadDeadline(null);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: Done): void {
    this.#send(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: Done): void {
    this.#send(Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  #send(data: Buffer, cb: Done): void {
    // sock.write() refuses empty data; an empty stream write is a no-op.
    if (data.length === 0) {
      cb();
      return;
    }
    this.#withSocket(cb, (sock) => {
      const write = this.#reply.writing();
      // Completes within this call when the kernel takes every byte at
      // once, as net.Socket's write does (see HttpConnection#_write for
      // why http needs it); the promise carries the outcome too.
      const written = (err: Error | undefined) => {
        if (err) {
          cb(err);
          return;
        }
        this.#bytesWritten += data.length;
        if (this.#reply.wrote(write)) this.#arm();
        this.#touch();
        cb();
      };
      sock.write(data, { [kSettled]: written } as WriteOptions).catch(() => {});
    });
  }

  override _final(cb: Done): void {
    this.#withSocket(cb, (sock) => {
      sock.end().then(() => cb(), cb);
    });
  }

  override _destroy(err: Error | null, cb: Done): void {
    this.#hadError = err !== null && err !== undefined;
    if (this.#idle) clearTimeout(this.#idle);
    this.#connecting?.abort();
    const sock = this.#sock;
    if (!sock) {
      this.#settleWaiting(err ?? new Error('destroyed before connecting'));
      cb(err);
      return;
    }
    sock.close().then(
      () => cb(err),
      () => cb(err),
    );
  }

  /** 'close' carries hadError, as net.Socket's. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close' && args.length === 0) return super.emit('close', this.#hadError);
    return super.emit(event, ...args);
  }

  // --- net.Socket's members -------------------------------------------------

  /** True from connect() until 'connect'. */
  get connecting(): boolean {
    return this.#connecting !== undefined;
  }

  /** True until connected (and again once destroyed), as net.Socket's. */
  get pending(): boolean {
    return !this.#sock || this.#connecting !== undefined || this.destroyed;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.#connecting) return 'opening';
    if (!this.#sock || this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  get remoteAddress(): string | undefined {
    return this.#remote && 'address' in this.#remote ? this.#remote.address : undefined;
  }

  get remotePort(): number | undefined {
    return this.#remote && 'port' in this.#remote ? this.#remote.port : undefined;
  }

  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.#remote && 'family' in this.#remote ? this.#remote.family : undefined;
  }

  get localAddress(): string | undefined {
    return this.#local && 'address' in this.#local ? this.#local.address : undefined;
  }

  get localPort(): number | undefined {
    return this.#local && 'port' in this.#local ? this.#local.port : undefined;
  }

  get localFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.#local && 'family' in this.#local ? this.#local.family : undefined;
  }

  /** Bytes received. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes handed to the kernel, plus those still queued in the stream (as net). */
  get bytesWritten(): number {
    return this.#bytesWritten + this.writableLength;
  }

  /** Bytes queued in the stream, not yet handed to the kernel: net's (deprecated) bufferSize. */
  get bufferSize(): number {
    return this.writableLength;
  }

  /**
   * net's list of the `address:port` its connect tried, in order (each
   * attempt, refused or timed out or connected). Where net leaves it
   * undefined (a connect to a single address) it holds that one address;
   * empty before a connect or on a Unix path.
   */
  get autoSelectFamilyAttemptedAddresses(): string[] {
    return [...this.#attempted];
  }

  /** { address, port, family } of the local end (TCP); {} for a Unix path or before connecting, as net. */
  address(): { address: string; port: number; family: string } | Record<string, never> {
    const l = this.#local;
    return l && 'address' in l ? { address: l.address, port: l.port, family: l.family } : {};
  }

  /**
   * TCP_NODELAY on (default) or off. Before the connect it is kept and
   * applied then; on a Unix path it does nothing (as net).
   */
  setNoDelay(noDelay: boolean = true): this {
    const on = Boolean(noDelay);
    if (!this.#sock) this.#noDelay = on;
    else if (this.#tcp && !this.destroyed) this.#sock.setNoDelay(on);
    return this;
  }

  /**
   * SO_KEEPALIVE as net sets it (libuv's probes): initialDelay ms idle
   * before the first probe, in whole seconds rounded down, then a probe
   * every second, 10 unanswered end the connection; below 1000 ms the
   * system's timings. Kept until connected; nothing on a Unix path.
   */
  setKeepAlive(enable: boolean = false, initialDelay: number = 0): this {
    const delay = validateTimeout(initialDelay, 'initialDelay', 0);
    if (!this.#sock) this.#keepAlive = [Boolean(enable), delay];
    else if (this.#tcp && !this.destroyed) {
      this.#sock.setKeepAlive(netKeepAlive(Boolean(enable), delay));
    }
    return this;
  }

  /**
   * Emits 'timeout' after `ms` without reads or writes (net's idle timer: an
   * event, the socket stays open); 0 turns it off. A JavaScript timer, as
   * net's, that never keeps the process alive; the kernel's timeouts are
   * replyTimeout and the socket's read/write timeouts.
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number') throw invalidArgType('msecs', 'of type number', ms);
    if (!(ms >= 0 && Number.isFinite(ms))) throw outOfRange('msecs', 'a non-negative finite number', ms);
    if (callback !== undefined && typeof callback !== 'function') {
      throw invalidArgType('callback', 'of type function', callback);
    }
    this.timeout = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
    if (ms > 0 && !this.destroyed) {
      this.#idle = setTimeout(() => this.emit('timeout'), ms);
      this.#idle.unref();
    }
    return this;
  }

  #touch(): void {
    this.#idle?.refresh();
  }

  /** Keeps the event loop alive while this socket has an operation pending (the default). */
  ref(): this {
    this.#ref = true;
    if (this.#sock && !this.destroyed) this.#sock.ref();
    return this;
  }

  /** Lets the process exit while this socket waits (a pooled idle connection). */
  unref(): this {
    this.#ref = false;
    if (this.#sock && !this.destroyed) this.#sock.unref();
    return this;
  }

  /**
   * Destroys with a reset (RST to the peer, no TIME_WAIT), as net.Socket's:
   * see KernelSocket#resetAndDestroy. Before the connect completes, the
   * reset follows it. A Unix socket throws ERR_INVALID_HANDLE_TYPE.
   */
  resetAndDestroy(): this {
    if (this.destroyed) return this;
    if (this.#connecting) {
      this.once('connect', () => {
        if (this.#tcp) this.resetAndDestroy();
        else this.destroy(invalidHandleType());
      });
      return this;
    }
    const sock = this.#sock;
    if (!sock) {
      this.destroy(Object.assign(new Error('Socket is closed'), { code: 'ERR_SOCKET_CLOSED' }));
      return this;
    }
    if (!this.#tcp) throw invalidHandleType();
    sock.setLinger(0);
    this.destroy();
    return this;
  }

  /** Ends the writable side, then destroys once it has finished (net's destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
}

/** A stream.Duplex over `sock`; see KernelSocketStream. */
export function toStream(sock: KernelSocket, options?: StreamOptions): KernelSocketStream {
  return new KernelSocketStream(sock, options);
}

function toConnectOptions(o: NetConnectOptions): ConnectOptions {
  const { timeout: _idle, connectTimeout, keepAliveInitialDelay, keepAlive, replyTimeout: _reply, ...rest } = o;
  const out: ConnectOptions = rest;
  if (connectTimeout !== undefined) out.timeout = connectTimeout;
  if (keepAlive === true) {
    const delay = validateTimeout(keepAliveInitialDelay, 'options.keepAliveInitialDelay', 0);
    out.keepAlive = netKeepAlive(true, delay);
  } else if (keepAlive !== undefined) out.keepAlive = keepAlive;
  return out;
}

function optionalSize(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : validateInteger(value, name, 1, 2 ** 31 - 1);
}
