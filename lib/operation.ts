// One operation from call to settlement: start it on the addon (which fixes
// its deadline and hands it to the kernel or a thread before returning, and
// decides its timeout, even while it is queued behind another op), wire its
// AbortSignal, and settle its promise exactly once,
// after every earlier op of its lane (README: "served one at a time in call
// order"): an op that took the synchronous fast path must not settle before
// an earlier one whose outcome is still on its way from a thread.
import { debug } from './debug.js';
import { abortError, withoutStack } from './errors.js';
import {
  Cancel,
  isResult,
  resultOf,
  Status,
  type Callback,
  type NativeResult,
  type NativeSocket,
  type Started,
} from './native.js';

/** An op of a lane, in call order until it settles. */
interface Turn {
  /** Set when its outcome is known but an earlier op of the lane is unsettled. */
  release?: () => void;
}

/** Per socket, its lanes' unsettled ops in call order. */
const lanes = new WeakMap<NativeSocket, { read: Turn[]; write: Turn[] }>();

function laneOf(native: NativeSocket, lane: 'read' | 'write'): Turn[] {
  let l = lanes.get(native);
  if (l === undefined) {
    l = { read: [], write: [] };
    lanes.set(native, l);
  }
  return l[lane];
}

/** Settles the ops at the head of a lane whose outcomes were held. Bounded by the lane's length. */
function flush(turns: Turn[]): void {
  while (turns.length > 0 && turns[0]!.release !== undefined) turns.shift()!.release!();
}

export interface Operation<T> {
  /** For the debug log. */
  name: string;
  /** The native lane the op is served on in call order ('read': reads and accepts; 'write': writes and end). */
  lane?: 'read' | 'write';
  native: NativeSocket;
  /** The op's own timeout, ms; 0 = none. */
  timeout: number;
  signal: AbortSignal | undefined;
  start(cb: Callback): Started;
  /** The value for a finished op, or throws its error. */
  settle(r: NativeResult): T;
  /** Called when an abort leaves the op in flight (connect closes its socket). */
  abandoned?(): void;
  /** Called as the op settles, synchronously: within start() for an op done without blocking (see kSettled). */
  settled?: Settled;
}

/** A settlement callback: the op's error, or undefined when it succeeded. */
export type Settled = (err: Error | undefined) => void;

/**
 * An internal option of KernelSocket#write: a callback told of the outcome
 * synchronously, before the promise's reactions run; for a write the kernel
 * takes at once, before write() returns. Stream adapters use it to complete
 * a stream write as net.Socket does (its callback runs within write() when
 * the kernel takes every byte): Node's http decides whether a response has
 * drained from the socket's writableLength right after handing it bytes.
 */
export const kSettled = Symbol('kernel-timeout-socket.settled');

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
  const turns = op.lane === undefined ? undefined : laneOf(op.native, op.lane);
  const turn: Turn = {};
  turns?.push(turn);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let id = 0;
    let queued = false;

    // inOrder: a delivered outcome waits for the earlier ops of its lane;
    // an abort, or a timeout decided while the op was queued, settles at once. fromFlush: flush() is the caller.
    const finish = (outcome: () => T, inOrder = false, fromFlush = false) => {
      if (settled) return;
      if (inOrder && turns !== undefined && turns[0] !== turn) {
        turn.release = () => finish(outcome, false, true);
        return;
      }
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      let error: Error | undefined;
      try {
        // Settlement errors carry no stack (errors.ts withoutStack); an
        // abort's error is built before, in onAbort, and keeps its own.
        resolve(withoutStack(outcome));
        if (logging) debug('%s -> ok after %s ms', tag, took());
      } catch (err) {
        if (logging) debug('%s -> %s after %s ms', tag, (err as { code?: string }).code ?? err, took());
        reject(err);
        error = err as Error;
      }
      // Before the lane moves on, so later ops' callbacks follow this one's.
      op.settled?.(error);
      if (turns === undefined || fromFlush) return; // flush() took it off the lane
      if (turns[0] === turn) {
        turns.shift();
        flush(turns);
      } else {
        turns.splice(turns.indexOf(turn), 1);
      }
    };
    const deliver = (r: NativeResult) => finish(() => op.settle(r), !(queued && r.status === Status.Timeout));
    const delivered: Callback = (status, bytes, decidedAt, errno, code, syscall, data, socket, peer) =>
      deliver(resultOf(status, bytes, decidedAt, errno, code, syscall, data, socket, peer));
    const onAbort = () => {
      const c = op.native.cancel(id);
      // Too late: the op finished in the kernel before the abort, and its
      // outcome is on the way. Settling with it loses nothing.
      if (c === Cancel.TooLate) return;
      const err = abortError(signal!);
      finish(() => {
        throw err;
      });
      if (c === Cancel.Abandoned) op.abandoned?.();
    };

    const started = op.start(delivered);
    if (isResult(started)) {
      if (logging) debug('%s done without blocking (timeout %d ms)', tag, op.timeout);
      // A failure settles on a later turn: a loop retrying an op that fails
      // at once (accept under EMFILE) would otherwise run on microtasks
      // alone, and timers and I/O (what could free fds) would never run.
      if (started.status === Status.Error) setImmediate(deliver, started);
      else deliver(started);
      return;
    }
    id = Math.abs(started);
    // Negative: queued behind another op of its lane. The addon decides it
    // if it is still queued at its deadline (native/queue_watch.h), never a
    // timer here: that timeout settles at once, as the op it waits behind
    // may wait much longer.
    queued = started < 0;
    if (logging) debug('%s pending (id %d, %s, timeout %d ms)', tag, id, started < 0 ? 'queued' : 'in kernel', op.timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
