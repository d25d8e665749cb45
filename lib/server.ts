// KernelServer: a listening TCP or Unix socket whose accepts carry their
// timeout into the kernel.
import { unlink } from 'node:fs';
import { closeOnAsyncDispose } from './dispose.js';
import { closedError, errorFor, SocketClosedError, type TimeoutError, timeoutError } from './errors.js';
import { type NativeResult, type NativeSocket, Status } from './native.js';
import { publishTimeout } from './publish.js';
import { Lane, run } from './operation.js';
import { addressOf, internal, KernelSocket, type SocketAddress, type SocketTimeouts } from './socket.js';
import { applyTcpSettings, type TcpSettings } from './tcp-options.js';
import { DEFAULT_ENGINE, type Engine } from './engine.js';
import { channels } from './diagnostics.js';
import { DEFAULT_TIMER, timerCode, validateTimerFor, type TimerMode } from './timer-mode.js';
import { type CallTime, Timeouts } from './timeouts.js';
import { validateObject, validateSignal } from './validate.js';

/**
 * accept(2) errors that say nothing about the listener (accept(2) lists the
 * network ones as "already pending" on the new connection): out of fds or
 * memory, or a connection that died in the queue. `for await` backs off and
 * goes on, as Go's net/http Server does (5 ms, doubling, at most 1 s).
 */
const TRANSIENT = new Set([
  'EMFILE',
  'ENFILE',
  'ENOBUFS',
  'ENOMEM',
  'ECONNABORTED',
  'EPROTO',
  'ENETDOWN',
  'ENOPROTOOPT',
  'EHOSTDOWN',
  'ENONET',
  'EHOSTUNREACH',
  'EOPNOTSUPP',
  'ENETUNREACH',
  'EPERM',
]);
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 1000;

export interface AcceptOptions {
  /** ms; overrides the server's accept timeout for this call. 0 = none. */
  timeout?: number;
  signal?: AbortSignal;
  /** The kernel timer for this accept (default: the server's `timer`). */
  timer?: TimerMode;
}

/** What accepted sockets start with: timeouts, timer, TCP options. */
export type AcceptedDefaults = SocketTimeouts & { tcp?: TcpSettings };

/** An accept's name in the debug log. */
function acceptName(): string {
  return 'accept';
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below types [Symbol.asyncDispose], set on the prototype
export class KernelServer {
  readonly #native: NativeSocket;
  readonly #accept = new Timeouts('recv', 0);
  /** Accepts, served in call order. */
  readonly #lane = new Lane();
  readonly #socketDefaults: AcceptedDefaults;
  readonly #path: string | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use listen(). */
  constructor(
    token: typeof internal,
    native: NativeSocket,
    acceptTimeout: number,
    socketDefaults: AcceptedDefaults,
    path: string | undefined,
  ) {
    if (token !== internal) {
      throw Object.assign(new TypeError('Illegal constructor: use listen()'), { code: 'ERR_ILLEGAL_CONSTRUCTOR' });
    }
    this.#native = native;
    this.#accept.setTimeout(acceptTimeout, 'options.acceptTimeout');
    this.#socketDefaults = socketDefaults;
    this.#path = path;
  }

  /**
   * Accepts one connection. Rejects with AcceptTimeoutError when the
   * kernel's timeout expires (the server stays usable), SocketClosedError
   * once close() has begun.
   */
  accept(options?: AcceptOptions): Promise<KernelSocket> {
    const o = validateObject<AcceptOptions>(options, 'options');
    const call = this.#accept.forCall(o.timeout, 'options.timeout');
    const { timeout: own, budget: timeout } = call;
    const signal = validateSignal(o.signal);
    const defaults = this.#socketDefaults;
    const timer = timerCode(validateTimerFor(this.engine, o.timer, 'options.timer', defaults.timer ?? DEFAULT_TIMER));
    if (this.#closing) return Promise.reject(closedError('accept'));
    if (timeout < 0) return Promise.reject(this.#timedOut(call));
    const native = this.#native;
    return run({
      name: acceptName,
      lane: this.#lane,
      native,
      timeout: own,
      signal,
      start: () => native.accept(own, timer),
      outcome: (r) => {
        if (r.status === Status.Timeout) throw this.#timedOut(call, r);
        const err = errorFor('accept', timeout, r);
        if (err) throw err;
        try {
          if (defaults.tcp) applyTcpSettings(r.socket!, defaults.tcp);
        } catch (e) {
          r.socket!.close();
          throw e;
        }
        return new KernelSocket(internal, r.socket!, defaults);
      },
    });
  }

  /**
   * The error of an accept, called as `call`, whose time ran out: the native
   * result `r`, or none when it never reached the kernel. Published on the
   * timeout channel when it has subscribers.
   */
  #timedOut(call: CallTime, r?: NativeResult): TimeoutError {
    const v = this.#accept.verdict(call);
    const err = timeoutError('accept', v.timeout, r, v.deadline);
    if (channels.timeout.hasSubscribers) publishTimeout(this, 'accept', call, err);
    return err;
  }

  /** The engine of this server's accepts and of the sockets it accepts. */
  get engine(): Engine {
    return this.#socketDefaults.engine ?? DEFAULT_ENGINE;
  }

  /** The default accept timeout as the kernel stores it (0 = none). */
  get acceptTimeout(): number {
    return this.#accept.readback;
  }

  setAcceptTimeout(ms: number): void {
    this.#accept.setTimeout(ms, 'ms');
  }

  /**
   * An absolute deadline (epoch ms or a Date; null clears) for all future and
   * pending accepts, with the sockets' deadline rules: moved earlier or into
   * the past, a pending accept rejects promptly with AcceptTimeoutError (a
   * connection that came in time is still accepted by the next accept);
   * moved later, it waits longer. Per-call timeouts still apply.
   */
  setAcceptDeadline(deadline: number | Date | null): void {
    this.#accept.setDeadline(deadline, 'deadline', this.#native);
  }

  /** { address, port, family } or { path }. */
  address(): SocketAddress {
    return addressOf(this.#native, false, this.#closing !== undefined);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The fd number, for diagnostics only. */
  get fd(): number {
    return this.#native.fd;
  }

  /**
   * Stops listening. Idempotent; pending accepts reject with
   * SocketClosedError. A Unix socket's path is removed, as Node does.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      const path = this.#path;
      this.#closing = new Promise<void>((resolve) => {
        const done = () => {
          if (path === undefined) return resolve();
          unlink(path, () => resolve());
        };
        if (this.#native.close(done)) done();
      });
    }
    return this.#closing;
  }

  /**
   * Accepts connections until the server is closed (no accept timeout). A
   * transient accept error (EMFILE, ECONNABORTED, ...) does not end it: it
   * waits (5 ms, doubling, at most 1 s; the event loop runs meanwhile, so
   * fds can be freed) and accepts again.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<KernelSocket, void, undefined> {
    let delay = 0;
    for (;;) {
      let sock: KernelSocket;
      try {
        sock = await this.accept({ timeout: 0 });
      } catch (err) {
        if (err instanceof SocketClosedError) return;
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !TRANSIENT.has(code)) throw err;
        delay = delay === 0 ? FIRST_RETRY_MS : Math.min(2 * delay, MAX_RETRY_MS);
        if (channels.acceptRetry.hasSubscribers) channels.acceptRetry.publish({ server: this, error: err, delayMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (this.#closing) return;
        continue;
      }
      delay = 0;
      yield sock;
    }
  }
}

/** Types for the method defined below: `await using` in TypeScript. */
export interface KernelServer {
  /** Same as close(). */
  [Symbol.asyncDispose](): Promise<void>;
}

closeOnAsyncDispose(KernelServer.prototype);
