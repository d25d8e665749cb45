// One operation from call to settlement: start it on the addon (which fixes
// its deadline and hands it to the kernel or a thread before returning),
// wire its AbortSignal, expire it if it is still queued behind another op
// when its time is up (its own timeout, or the socket's deadline as it is
// then: it may move while the op waits), and settle its promise exactly once.
import { debug } from './debug.js';
import { abortError } from './errors.js';
import { Cancel, isResult, type Callback, type NativeResult, type NativeSocket, type Started } from './native.js';
import type { Timeouts } from './timeouts.js';

/** setTimeout's largest delay: longer ones fire after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Operation<T> {
  /** For the debug log. */
  name: string;
  native: NativeSocket;
  /** The op's own timeout, ms; 0 = none. */
  timeout: number;
  /** The socket deadline the op also follows, if any. */
  deadline?: Pick<Timeouts, 'deadline'>;
  signal: AbortSignal | undefined;
  start(cb: Callback): Started;
  /** The value for a finished op, or throws its error. */
  settle(r: NativeResult): T;
  /** The error when the op's time ran out before it could start. */
  expired(): Error;
  /** Called when an abort leaves the op in flight (connect closes its socket). */
  abandoned?(): void;
}

export function run<T>(op: Operation<T>): Promise<T> {
  const signal = op.signal;
  if (signal?.aborted) {
    debug('fd %d %s aborted before start', op.native.fd, op.name);
    return Promise.reject(abortError(signal));
  }
  // For the debug log: which socket, and how long the op took.
  // Checked once: with logging off, an op builds no log arguments at all
  // (a CPU profile of ping-pong showed them at about 6 % of its time).
  const logging = debug.enabled;
  const tag = logging ? `fd ${op.native.fd} ${op.name}` : op.name;
  const began = logging ? performance.now() : 0;
  const took = () => (performance.now() - began).toFixed(1);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let id = 0;
    let timer: NodeJS.Timeout | undefined;

    const finish = (outcome: () => T) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(outcome());
        if (logging) debug('%s -> ok after %s ms', tag, took());
      } catch (err) {
        if (logging) debug('%s -> %s after %s ms', tag, (err as { code?: string }).code ?? err, took());
        reject(err);
      }
    };
    const deliver = (r: NativeResult) => finish(() => op.settle(r));
    const onAbort = () => {
      const c = op.native.cancel(id, false);
      // Too late: the op finished in the kernel before the abort, and its
      // outcome is on the way. Settling with it loses nothing.
      if (c === Cancel.TooLate) return;
      finish(() => {
        throw abortError(signal!);
      });
      if (c === Cancel.Abandoned) op.abandoned?.();
    };

    const started = op.start(deliver);
    if (isResult(started)) {
      if (logging) debug('%s done without blocking (timeout %d ms)', tag, op.timeout);
      deliver(started);
      return;
    }
    id = Math.abs(started);
    if (logging) debug('%s pending (id %d, %s, timeout %d ms)', tag, id, started < 0 ? 'queued' : 'in kernel', op.timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (started < 0) {
      // Queued behind another op of the same direction: if it has not
      // started when its time is up, it never will in time. Removing a
      // queued op is atomic in the addon, so no byte can be lost here; once
      // it has started, the kernel decides (and this does nothing).
      // A socket deadline moved earlier needs no timer here: the op ahead
      // follows it in the addon, and this one, started after it, finds it
      // passed. A deadline moved later is read again when the timer fires.
      // Armed in steps of at most MAX_TIMER_MS, re-checking the time left.
      const ownEnd = op.timeout > 0 ? performance.now() + op.timeout : Infinity;
      const arm = () => {
        timer = undefined;
        if (settled) return;
        const d = op.deadline?.deadline ?? null;
        const left = Math.min(ownEnd - performance.now(), d === null ? Infinity : d - Date.now());
        if (left === Infinity) return;
        if (left <= 0) {
          if (op.native.cancel(id, true) === Cancel.Removed)
            finish(() => {
              throw op.expired();
            });
          return; // or started: the addon decides from here
        }
        timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
        timer.unref();
      };
      arm();
    }
  });
}
