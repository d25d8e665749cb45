// LineReader: delimiter-framed messages over a KernelSocket's read(). Bytes
// after a delimiter stay in the reader for the next call, so mixing lines
// with fixed-size bodies (readExactly) loses nothing, and a timeout in the
// middle of a line keeps what arrived.
import { EndOfStreamError, KernelSocketError, timeoutError } from './errors.js';
import type { KernelSocket, ReadOptions } from './socket.js';
import {
  invalidArgValue,
  validateInteger,
  validateObject,
  validateReadSize,
  validateSignal,
  validateTimeout,
} from './validate.js';

export interface LineReaderOptions {
  /** The delimiter (default '\n'). A string is encoded as UTF-8. */
  delimiter?: string | Uint8Array;
  /** Most bytes in one line, delimiter excluded (default 65536). */
  maxLineLength?: number;
}

/**
 * A line longer than maxLineLength arrived without its delimiter. The
 * reader keeps the bytes, but the protocol is out of step: close the socket.
 */
export class LineTooLongError extends KernelSocketError {
  readonly maxLineLength: number;
  constructor(maxLineLength: number) {
    super(`line longer than ${maxLineLength} bytes without a delimiter`, { code: 'ERR_LINE_TOO_LONG', syscall: 'recv' });
    this.maxLineLength = maxLineLength;
  }
}

const READ_SIZE = 65536;

export class LineReader {
  readonly #sock: KernelSocket;
  readonly #delimiter: Buffer;
  readonly #max: number;
  #buffered: Buffer = Buffer.alloc(0);
  /** Bytes of #buffered already searched for the delimiter. */
  #searched = 0;
  #eof = false;

  constructor(sock: KernelSocket, options?: LineReaderOptions) {
    const o = validateObject<LineReaderOptions>(options, 'options');
    const d = o.delimiter ?? '\n';
    if (typeof d !== 'string' && !(d instanceof Uint8Array)) {
      throw invalidArgValue('options.delimiter', d, 'must be a string or Uint8Array');
    }
    this.#delimiter = Buffer.from(d);
    if (this.#delimiter.length === 0) throw invalidArgValue('options.delimiter', d, 'must not be empty');
    this.#max = o.maxLineLength === undefined ? 65536 : validateInteger(o.maxLineLength, 'options.maxLineLength', 1, 2 ** 31 - 1);
    this.#sock = sock;
  }

  /** Bytes received but not yet returned. */
  get buffered(): number {
    return this.#buffered.length;
  }

  /**
   * The next line without its delimiter. At end of stream: the unterminated
   * rest as a last line if there is one, then null. `timeout` bounds the
   * whole line (every read it takes); on ReadTimeoutError the bytes that
   * came stay buffered for the next call.
   */
  async readLine(options?: ReadOptions): Promise<Buffer | null> {
    const o = validateObject<ReadOptions>(options, 'options');
    const limit = limitOf(o);
    const signal = validateSignal(o.signal);
    for (;;) {
      const at = this.#buffered.indexOf(this.#delimiter, this.#searched);
      if (at >= 0 && at <= this.#max) return this.#take(at, this.#delimiter.length);
      if (at > this.#max || this.#buffered.length > this.#max + this.#delimiter.length - 1) {
        throw new LineTooLongError(this.#max);
      }
      this.#searched = Math.max(0, this.#buffered.length - this.#delimiter.length + 1);
      if (this.#eof) return this.#buffered.length === 0 ? null : this.#take(this.#buffered.length, 0);
      await this.#fill(READ_SIZE, limit, signal);
    }
  }

  /** The next line decoded as a string (default utf8); null at end of stream. */
  async readLineString(options?: ReadOptions & { encoding?: BufferEncoding }): Promise<string | null> {
    const line = await this.readLine(options);
    return line === null ? null : line.toString(options?.encoding ?? 'utf8');
  }

  /**
   * Exactly `size` bytes, buffered ones first: for a body after a header
   * line. Same errors as KernelSocket#readExactly.
   */
  async readExactly(size: number, options?: ReadOptions): Promise<Buffer> {
    validateReadSize(size);
    const o = validateObject<ReadOptions>(options, 'options');
    if (this.#buffered.length >= size) return this.#take(size, 0);
    const head = this.#take(this.#buffered.length, 0);
    try {
      const rest = await this.#sock.readExactly(size - head.length, o);
      return Buffer.concat([head, rest]);
    } catch (err) {
      if (err instanceof EndOfStreamError) {
        const partial = Buffer.concat([head, err.partial]);
        throw new EndOfStreamError(`readExactly(${size}) met end of stream after ${partial.length} bytes`, partial);
      }
      // Nothing is lost: what we held goes back in front. (A timed-out
      // exact read leaves its own bytes queued in the socket.)
      this.#buffered = Buffer.concat([head, this.#buffered]);
      throw err;
    }
  }

  /** Lines until end of stream; each uses the socket's read timeout. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const line = await this.readLine();
      if (line === null) return;
      yield line;
    }
  }

  #take(length: number, skip: number): Buffer {
    const out = this.#buffered.subarray(0, length);
    this.#buffered = this.#buffered.subarray(length + skip);
    this.#searched = 0;
    return out;
  }

  async #fill(size: number, limit: Limit | undefined, signal: AbortSignal | undefined): Promise<void> {
    const opts: ReadOptions = signal ? { signal } : {};
    if (limit?.timeout === 0) opts.timeout = 0;
    else if (limit !== undefined) {
      const left = Math.ceil(limit.deadline - performance.now());
      if (left <= 0) throw timeoutError('read', limit.timeout);
      opts.timeout = left;
    }
    const chunk = await this.#sock.read(size, opts);
    if (chunk === null) this.#eof = true;
    else this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
  }
}

interface Limit {
  timeout: number;
  /** performance.now() by which the whole line must have come (unused when timeout is 0). */
  deadline: number;
}

/** undefined: each read uses the socket's read timeout. 0: none. */
function limitOf(o: ReadOptions): Limit | undefined {
  if (o.timeout === undefined) return undefined;
  const timeout = validateTimeout(o.timeout, 'options.timeout', 0);
  return { timeout, deadline: performance.now() + timeout };
}
