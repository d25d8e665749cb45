// KernelSocket: a connected TCP or Unix stream socket whose reads and
// writes carry their timeouts into the kernel.
import { debug } from './debug.js';
import { publishClose } from './publish.js';
import { closeOnAsyncDispose } from './dispose.js';
import { channels } from './diagnostics.js';
import { closedError, systemError } from './errors.js';
import { closeNative, isResult, type NativeAddress, type NativeResult, type NativeSocket, type TimerCode } from './native.js';
import { kSettled, Lane, run, type Settled } from './operation.js';
import { SocketOp, SocketOpKind } from './socket-op.js';
import { KernelSocketStream, type StreamOptions } from './stream.js';
import {
  applyTcpSettings,
  readTcpInfo,
  readTcpOptions,
  validateKeepAlive,
  validateLinger,
  validateNoDelay,
  validateUserTimeout,
  type KeepAliveOptions,
  type TcpInfo,
  type TcpOptionsReadback,
  type TcpSettings,
} from './tcp-options.js';
import { DEFAULT_ENGINE, type Engine } from './engine.js';
import { defaultTimer, timerCode, validateTimerFor, type TimerMode } from './timer-mode.js';
import { Timeouts } from './timeouts.js';
import {
  invalidArgType,
  invalidHandleType,
  validateDeadline,
  validateOptions,
  validateReadSize,
  validateSignal,
  validateWriteData,
} from './validate.js';

export interface ReadOptions {
  /** ms; overrides the socket's read timeout for this call. 0 = none. */
  timeout?: number;
  signal?: AbortSignal;
  /** The kernel timer for this call (default: the socket's, see setTimer). */
  timer?: TimerMode;
}

export interface WriteOptions {
  /** ms for the whole write (every byte into the kernel). 0 = none. */
  timeout?: number;
  signal?: AbortSignal;
  /** For string data; default utf8. */
  encoding?: BufferEncoding;
  /** The kernel timer for this call (default: the socket's, see setTimer). */
  timer?: TimerMode;
}

export interface SocketTimeouts {
  readTimeout?: number;
  writeTimeout?: number;
  /** Default kernel timer of reads and writes: 'sockopt' (default) or 'poll'; only 'poll' for engine 'loop'. */
  timer?: TimerMode;
  /** The engine the native socket was opened with (default 'threads'). */
  engine?: Engine;
}

export type SocketAddress = { address: string; port: number; family: 'IPv4' | 'IPv6' } | { path: string };

export const DEFAULT_READ_SIZE = 65536;

/** Only connect() and KernelServer#accept() make sockets. */
export const internal = Symbol('kernel-timeout-socket internal');

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below types [Symbol.asyncDispose], set on the prototype
export class KernelSocket {
  readonly #native: NativeSocket;
  readonly #read = new Timeouts('recv', 0);
  readonly #write = new Timeouts('send', 1);
  /** Reads, and writes and end: each served in call order. */
  readonly #readLane = new Lane();
  readonly #writeLane = new Lane();
  readonly #engine: Engine;
  #timer: TimerMode;
  /** timerCode(#timer), for calls that name no timer. */
  #timerCode: TimerCode;
  #closing: Promise<void> | undefined;

  /** @internal Use connect() or KernelServer#accept(). */
  constructor(token: typeof internal, native: NativeSocket, timeouts: SocketTimeouts = {}) {
    if (token !== internal) {
      throw Object.assign(new TypeError('Illegal constructor: use connect() or server.accept()'), {
        code: 'ERR_ILLEGAL_CONSTRUCTOR',
      });
    }
    this.#native = native;
    this.#read.setTimeout(timeouts.readTimeout, 'options.readTimeout');
    this.#write.setTimeout(timeouts.writeTimeout, 'options.writeTimeout');
    this.#engine = timeouts.engine ?? DEFAULT_ENGINE;
    this.#timer = validateTimerFor(this.#engine, timeouts.timer, 'options.timer', defaultTimer(this.#engine));
    this.#timerCode = timerCode(this.#timer);
  }

  /**
   * Reads up to `size` bytes: whatever the kernel has, as soon as it has
   * any. Resolves to null at end of stream. Rejects with ReadTimeoutError
   * when the kernel's timeout expires; the socket stays usable.
   */
  read(size: number = DEFAULT_READ_SIZE, options?: ReadOptions): Promise<Buffer | null> {
    validateReadSize(size);
    return this.#readOp(size, SocketOpKind.Read, options) as Promise<Buffer | null>;
  }

  /**
   * Reads exactly `size` bytes within one timeout. At end of stream first it
   * rejects with EndOfStreamError (holding the bytes that came); on timeout
   * the bytes that came stay queued for the next read.
   */
  readExactly(size: number, options?: ReadOptions): Promise<Buffer> {
    validateReadSize(size);
    return this.#readOp(size, SocketOpKind.ReadExactly, options) as Promise<Buffer>;
  }

  #readOp(size: number, kind: SocketOpKind, options: ReadOptions | undefined): Promise<Buffer | null | undefined> {
    const o = validateOptions<ReadOptions>(options, 'options');
    const own = this.#read.own(o.timeout, 'options.timeout');
    const signal = validateSignal(o.signal);
    const timer = this.#timerFor(o.timer);
    if (this.#closing) return Promise.reject(closedError('read'));
    const at = Date.now();
    const budget = this.#read.budget(own, at);
    const op = new SocketOp(
      this,
      this.#native,
      this.#readLane,
      this.#read,
      kind,
      size,
      undefined,
      own,
      at,
      budget,
      timer,
      signal,
      undefined,
    );
    if (budget < 0) return Promise.reject(op.timedOut());
    return run(op);
  }

  /**
   * Writes all of `data`; resolves once every byte is in the kernel. Rejects
   * with WriteTimeoutError (with bytesWritten) if the timeout expires first.
   */
  write(data: Uint8Array | string, options?: WriteOptions): Promise<void> {
    const o = validateOptions<WriteOptions>(options, 'options');
    const bytes = validateWriteData(data, o.encoding);
    const own = this.#write.own(o.timeout, 'options.timeout');
    const signal = validateSignal(o.signal);
    const timer = this.#timerFor(o.timer);
    if (this.#closing) return Promise.reject(closedError('write'));
    const at = Date.now();
    const budget = this.#write.budget(own, at);
    const onSettled = (o as { [kSettled]?: Settled })[kSettled];
    const op = new SocketOp(
      this,
      this.#native,
      this.#writeLane,
      this.#write,
      SocketOpKind.Write,
      0,
      bytes,
      own,
      at,
      budget,
      timer,
      signal,
      onSettled,
    );
    if (budget < 0) return Promise.reject(op.timedOut());
    return run(op) as Promise<void>;
  }

  /** The timer code of a call: its `timer` option, or the socket's. */
  #timerFor(timer: TimerMode | undefined): TimerCode {
    if (timer === undefined) return this.#timerCode;
    return timerCode(validateTimerFor(this.#engine, timer, 'options.timer', this.#timer));
  }

  /** Half-closes: sends FIN after the writes before it. Reads go on. */
  end(): Promise<void> {
    if (this.#closing) return Promise.reject(closedError('end'));
    const op = new SocketOp(
      this,
      this.#native,
      this.#writeLane,
      this.#write,
      SocketOpKind.End,
      0,
      undefined,
      0,
      0,
      0,
      this.#timerCode,
      undefined,
      undefined,
    );
    return run(op) as Promise<void>;
  }

  /**
   * Closes the socket. Idempotent. Pending operations reject with
   * SocketClosedError within milliseconds; resolves once the fd is closed
   * (after the last in-flight call has left it).
   */
  close(): Promise<void> {
    if (!this.#closing) {
      debug('close fd %d', this.#native.fd);
      if (channels.close.hasSubscribers) publishClose(this);
      this.#closing = closeNative(this.#native);
    }
    return this.#closing;
  }

  /**
   * Closes with a reset, as net.Socket's resetAndDestroy(): SO_LINGER 0,
   * then close(), so the peer gets RST (its next read or write fails with
   * ECONNRESET) and no TIME_WAIT is left. Unsent data is dropped; pending
   * operations reject with SocketClosedError, as with close(). TCP only: on
   * a Unix socket it throws ERR_INVALID_HANDLE_TYPE, as net's. On a socket
   * already closed it rejects with SocketClosedError (no reset was sent).
   */
  resetAndDestroy(): Promise<void> {
    if (this.#closing) return Promise.reject(closedError('socket'));
    if ('path' in this.address()) throw invalidHandleType();
    applyTcpSettings(this.#native, { linger: 0 });
    return this.close();
  }

  /** True once close() has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Sets the default read timeout (ms, 0 = none) for later reads. */
  setReadTimeout(ms: number): void {
    this.#read.setTimeout(ms, 'ms');
  }

  /** Sets the default write timeout (ms, 0 = none) for later writes. */
  setWriteTimeout(ms: number): void {
    this.#write.setTimeout(ms, 'ms');
  }

  /**
   * The default read timeout as the kernel stores it (getsockopt after
   * setsockopt): Linux rounds up to whole jiffies, so 1 reads back as 4 at
   * HZ=250. 0 = none.
   */
  get readTimeout(): number {
    return this.#read.readback;
  }

  get writeTimeout(): number {
    return this.#write.readback;
  }

  /**
   * An absolute deadline (epoch ms as Date.now(), or a Date) for all future
   * and pending reads, like Go's SetReadDeadline: each read ends by it at the
   * latest (its own timeout still applies). Moved earlier or into the past,
   * a pending read rejects promptly with ReadTimeoutError, nothing consumed;
   * moved later, it waits longer. Once passed, reads time out without a
   * syscall. null clears it. Far-future values mean "not yet".
   */
  setReadDeadline(deadline: number | Date | null): void {
    this.#read.setDeadline(deadline, 'deadline', this.#native);
  }

  /** As setReadDeadline, for writes (WriteTimeoutError, with bytesWritten). */
  setWriteDeadline(deadline: number | Date | null): void {
    this.#write.setDeadline(deadline, 'deadline', this.#native);
  }

  /** Both setReadDeadline and setWriteDeadline. */
  setDeadline(deadline: number | Date | null): void {
    validateDeadline(deadline);
    this.#read.setDeadline(deadline, 'deadline', this.#native);
    this.#write.setDeadline(deadline, 'deadline', this.#native);
  }

  /** The local address: { address, port, family } or { path }. */
  address(): SocketAddress {
    return addressOf(this.#native, false, this.#closing !== undefined);
  }

  /** The peer's address. */
  remoteAddress(): SocketAddress {
    return addressOf(this.#native, true, this.#closing !== undefined);
  }

  /** The fd number, for diagnostics only (never close or use it yourself). */
  get fd(): number {
    return this.#native.fd;
  }

  /**
   * This socket as a stream.Duplex (pipeline, http.request's
   * createConnection). The stream owns the socket from then on: don't read
   * or write the socket directly while it is in use.
   */
  toStream(options?: StreamOptions): KernelSocketStream {
    return new KernelSocketStream(this, options);
  }

  /** The engine running this socket's operations, fixed when it was created. */
  get engine(): Engine {
    return this.#engine;
  }

  /** The default kernel timer of reads and writes ('sockopt' or 'poll'). */
  get timer(): TimerMode {
    return this.#timer;
  }

  setTimer(mode: TimerMode): void {
    this.#timer = validateTimerFor(this.#engine, mode, 'mode');
    this.#timerCode = timerCode(this.#timer);
  }

  /** TCP_USER_TIMEOUT: ms sent data may stay unacknowledged before the kernel drops the connection (0 = default). */
  setUserTimeout(ms: number): void {
    this.#tcp({ userTimeout: validateUserTimeout(ms, 'ms') });
  }

  /** Keepalive on/off, or on with timings (ms, rounded up to seconds). */
  setKeepAlive(enable: boolean | KeepAliveOptions): void {
    this.#tcp({ keepAlive: validateKeepAlive(enable, 'enable') });
  }

  /** 0: close() resets the connection (RST, no TIME_WAIT); null: graceful close (default). */
  setLinger(linger: 0 | null): void {
    this.#tcp({ linger: validateLinger(linger, 'linger') });
  }

  /** TCP_NODELAY on (the default argument) or off: small writes go out at once. */
  setNoDelay(noDelay: boolean = true): void {
    this.#tcp({ noDelay: validateNoDelay(noDelay, 'noDelay') });
  }

  /**
   * Lets the process exit while an operation on this socket is pending (a
   * read waiting on an idle connection), as net.Socket's unref(). Later
   * operations follow it too. Returns this.
   */
  unref(): this {
    this.#setRef(false);
    return this;
  }

  /** Takes unref() back: a pending operation keeps the process alive again (the default). Returns this. */
  ref(): this {
    this.#setRef(true);
    return this;
  }

  /**
   * ref() when true, unref() when false.
   * @deprecated Use ref() / unref(), as net.Socket; kept working for code written before they existed.
   */
  setRef(ref: boolean): void {
    if (typeof ref !== 'boolean') throw invalidArgType('ref', 'of type boolean', ref);
    this.#setRef(ref);
  }

  #setRef(ref: boolean): void {
    if (this.#closing) return;
    this.#native.setRef(ref);
  }

  #tcp(settings: TcpSettings): void {
    if (this.#closing) throw closedError('socket');
    applyTcpSettings(this.#native, settings);
  }

  /** userTimeout, keepAlive, linger and noDelay as the kernel reads them back. */
  tcpOptions(): TcpOptionsReadback {
    return readTcpOptions(this.#native, this.#closing !== undefined);
  }

  /** The kernel's view of the connection (TCP_INFO): state, rtt, retransmits, queues. */
  info(): TcpInfo {
    return readTcpInfo(this.#native, this.#closing !== undefined);
  }

  /** Chunks until end of stream; each read uses the socket's read timeout. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }
}

export function addressOf(native: NativeSocket, peer: boolean, closed: boolean): SocketAddress {
  if (closed) throw closedError('address');
  const a: NativeAddress | NativeResult = native.address(peer);
  if (isResult(a)) throw systemError('address', a);
  return a;
}

/** Types for the method defined below: `await using` in TypeScript. */
export interface KernelSocket {
  /** Same as close(). */
  [Symbol.asyncDispose](): Promise<void>;
}

// `await using sock = await connect(...)` where the runtime has it.
closeOnAsyncDispose(KernelSocket.prototype);
