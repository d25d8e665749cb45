// toStream(): a KernelSocket as a stream.Duplex, for pipeline() and for
// code that wants a net.Socket-shaped connection (http.request's
// createConnection). Reads and writes are the socket's own, so their
// timeouts stay in the kernel; a timeout or a socket error destroys the
// stream with the typed error.
import { Duplex } from 'node:stream';
import type { KernelSocket } from './socket.js';
import { MAX_READ_SIZE, validateInteger, validateObject } from './validate.js';

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
}

const DEFAULT_READABLE_HWM = 65536;

/**
 * A stream.Duplex over a KernelSocket. Each _read is one sock.read() of at
 * most the readable highWaterMark, so the kernel's receive buffer fills (and
 * the peer's writes block) while the consumer is slow. Destroying the
 * stream closes the socket; end() sends FIN after the queued writes.
 */
export class KernelSocketStream extends Duplex {
  readonly #sock: KernelSocket;
  #reading = false;

  constructor(sock: KernelSocket, options: StreamOptions = {}) {
    const o = validateObject<StreamOptions>(options, 'options');
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
    this.#sock = sock;
  }

  /** The socket underneath (its timeouts, deadlines and addresses). */
  get socket(): KernelSocket {
    return this.#sock;
  }

  override _read(size: number): void {
    if (this.#reading) return;
    this.#reading = true;
    const want = Math.max(1, Math.min(size, MAX_READ_SIZE));
    this.#sock.read(want).then(
      (chunk) => {
        this.#reading = false;
        if (this.destroyed) return;
        this.push(chunk);
      },
      (err: unknown) => {
        this.#reading = false;
        // A read woken by our own destroy() is expected, not an error.
        if (!this.destroyed) this.destroy(err as Error);
      },
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#send(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.#send(Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  #send(data: Buffer, cb: (err?: Error | null) => void): void {
    // sock.write() refuses empty data; an empty stream write is a no-op.
    if (data.length === 0) {
      cb();
      return;
    }
    this.#sock.write(data).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#sock.end().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#sock.close().then(
      () => cb(err),
      () => cb(err),
    );
  }
}

/** A stream.Duplex over `sock`; see KernelSocketStream. */
export function toStream(sock: KernelSocket, options?: StreamOptions): KernelSocketStream {
  return new KernelSocketStream(sock, options);
}

function optionalSize(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : validateInteger(value, name, 1, 2 ** 31 - 1);
}
