// One operation from call to settlement: start it on the addon (which fixes
// its deadline and hands it to the kernel or a thread before returning),
// wire its AbortSignal, and settle its promise exactly once, after every
// earlier op of its lane (README: "served one at a time in call order"): an
// op that took the synchronous fast path must not settle before an earlier
// one whose outcome is still on its way from a thread. An op queued behind
// another that is still queued at its deadline is the addon's to decide
// (native/queue_watch.h), never a timer here; that timeout settles at once,
// as the op it waits behind may wait much longer.
//
// The hot path allocates no closure of its own: a pending op is one plain
// record (Pending) in an env-wide id -> record table, and the addon settles
// every op through one callback registered once (delivered), with the op id
// and the outcome as plain arguments. The record holds the op, whose
// `native` keeps the socket wrapper alive while the addon has the op.
import { debug } from './debug.js';
import { abortError, withoutStack } from './errors.js';
import {
  addon,
  Cancel,
  isResult,
  type NativeResult,
  type NativeSocket,
  type SettleCallback,
  type Started,
  Status,
} from './native.js';

/** What one kind of op is: how to start it and what its outcome means. */
export interface Operation<T> {
  /** For the debug log. */
  name: string;
  /** The native lane the op is served on in call order ('read': reads and accepts; 'write': writes and end). */
  lane?: 'read' | 'write';
  native: NativeSocket;
  /** The op's own timeout, ms; 0 = none. */
  timeout: number;
  signal: AbortSignal | undefined;
  /** Starts the op on the addon (its outcome comes to `delivered` by id). */
  start(): Started;
  /** The value for a finished op's outcome, or throws its error. */
  outcome(r: NativeResult): T;
  /** Called when an abort leaves the op in flight (connect closes its socket). */
  abandoned?(): void;
  /** Called as the op settles, synchronously: within start() for an op done without blocking (see kSettled). */
  onSettled?: Settled;
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

/**
 * An op whose promise is unsettled, or whose outcome the addon still owes
 * (an aborted op stays in `pending` until the addon lets it go).
 */
class Pending {
  settled = false;
  /** Its outcome, held while an earlier op of its lane is unsettled. */
  held: NativeResult | undefined = undefined;
  id = 0;
  /** Queued behind another op of its lane when it started: a timeout the addon decides then settles at once. */
  queued = false;
  /** The one abort listener, only when the op has a signal. */
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly op: Operation<unknown>,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
    /** Its lane's unsettled ops in call order (this one among them), if it has a lane. */
    readonly turns: Pending[] | undefined,
    /** For the debug log: 'fd N name' when logging, else the name. */
    readonly tag: string,
    /** performance.now() at the call when logging, else 0. */
    readonly began: number,
  ) {}
}

/** Ops the addon holds, by id (ids are unique among pending ops of this env). */
const pending = new Map<number, Pending>();

/** Per socket, its lanes' unsettled ops in call order. */
const lanes = new WeakMap<NativeSocket, { read: Pending[]; write: Pending[] }>();

function laneOf(native: NativeSocket, lane: 'read' | 'write'): Pending[] {
  let l = lanes.get(native);
  if (l === undefined) {
    l = { read: [], write: [] };
    lanes.set(native, l);
  }
  return l[lane];
}

/** The op's value for outcome r, or throws its error. */
function outcomeOf(op: Operation<unknown>, r: NativeResult): unknown {
  return op.outcome(r);
}

/**
 * Settles p now: with its outcome r, or (r undefined) with `err`. Leaves
 * p's lane as it is. Tells op.onSettled before the lane moves on, so later
 * ops' callbacks follow this one's.
 */
function settleNow(p: Pending, r: NativeResult | undefined, err?: unknown): void {
  p.settled = true;
  if (p.onAbort !== undefined) p.op.signal!.removeEventListener('abort', p.onAbort);
  const logging = p.began !== 0;
  let error: Error | undefined;
  try {
    if (r === undefined) throw err; // an abort's error keeps its own stack
    // Settlement errors carry no stack (errors.ts withoutStack).
    p.resolve(withoutStack(outcomeOf, p.op, r));
    if (logging) debug('%s -> ok after %s ms', p.tag, took(p));
  } catch (e) {
    if (logging) debug('%s -> %s after %s ms', p.tag, (e as { code?: string }).code ?? e, took(p));
    p.reject(e);
    error = e as Error;
  }
  p.op.onSettled?.(error);
}

function took(p: Pending): string {
  return (performance.now() - p.began).toFixed(1);
}

/** Settles p out of turn with `err` (an abort) and takes it off its lane. */
function settleAtOnce(p: Pending, err: unknown): void {
  if (p.settled) return;
  settleNow(p, undefined, err);
  leaveLane(p);
}

/**
 * A delivered outcome: settles p once every earlier op of its lane has
 * settled, else holds it. A timeout the addon decided while p was queued
 * settles at once: the op ahead may wait much longer.
 */
function deliver(p: Pending, r: NativeResult): void {
  if (p.settled) return;
  if (p.turns !== undefined && p.turns[0] !== p && !(p.queued && r.status === Status.Timeout)) {
    p.held = r;
    return;
  }
  settleNow(p, r);
  leaveLane(p);
}

/** Takes settled p off its lane; if it led, settles the held outcomes now at the head. Bounded by the lane's length. */
function leaveLane(p: Pending): void {
  const turns = p.turns;
  if (turns === undefined) return;
  if (turns[0] !== p) {
    turns.splice(turns.indexOf(p), 1);
    return;
  }
  turns.shift();
  while (turns.length > 0 && turns[0]!.held !== undefined) {
    const next = turns.shift()!;
    const r = next.held!;
    next.held = undefined;
    settleNow(next, r);
  }
}

/**
 * The addon's one settle callback (native/completions.cc): op `id` was
 * delivered, its outcome as plain arguments in NativeResult's order; id 0
 * is the op whose start call is returning (finishedAtOnce). An op
 * JavaScript settled already (aborted) comes with Status.Cancelled and
 * nothing else: the addon has let it go.
 */
const delivered: SettleCallback = (id, status, bytes, decidedAt, errno, code, syscall, data, socket, peer) => {
  if (id === 0) {
    finishedAtOnce.outcome = { status, bytes, decidedAt, errno, code, syscall, data, socket, peer };
    return;
  }
  const p = pending.get(id);
  if (p === undefined) {
    // Another copy of this module started it (a module registry that
    // loaded lib/ twice over one addon): that copy's callback was the one
    // registered before this one.
    previous?.(id, status, bytes, decidedAt, errno, code, syscall, data, socket, peer);
    return;
  }
  pending.delete(id);
  if (p.settled || status === Status.Cancelled) return;
  deliver(p, { status, bytes, decidedAt, errno, code, syscall, data, socket, peer });
};
/**
 * The outcome of the op whose start call is returning 0 (finished at once),
 * set by whichever copy of this module the addon calls back: shared by all
 * copies through the addon object.
 */
const SHARED = Symbol.for('kernel-timeout-socket.finishedAtOnce');
const shared = addon as unknown as Record<symbol, { outcome: NativeResult | undefined } | undefined>;
const finishedAtOnce = shared[SHARED] ?? { outcome: undefined };
shared[SHARED] = finishedAtOnce;
const previous = addon.setSettle(delivered);

function onAbort(p: Pending): void {
  const c = p.op.native.cancel(p.id);
  // Too late: the op finished in the kernel before the abort, and its
  // outcome is on the way. Settling with it loses nothing.
  if (c === Cancel.TooLate) return;
  settleAtOnce(p, abortError(p.op.signal!));
  if (c === Cancel.Abandoned) p.op.abandoned?.();
}

// The promise's resolve and reject, taken without a closure per op.
let resolveNext: (value: unknown) => void = undefined!;
let rejectNext: (reason: unknown) => void = undefined!;
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  resolveNext = resolve;
  rejectNext = reject;
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
  const began = logging ? performance.now() || Number.MIN_VALUE : 0;
  let started = op.start();
  if (started === 0) {
    started = finishedAtOnce.outcome!;
    finishedAtOnce.outcome = undefined;
  }
  const turns = op.lane === undefined ? undefined : laneOf(op.native, op.lane);
  const promise = new Promise<unknown>(capture) as Promise<T>;
  const p = new Pending(op, resolveNext, rejectNext, turns, tag, began);
  // Not kept here: they would hold the promise, and so its value (a socket), after it settles.
  resolveNext = rejectNext = undefined!;
  turns?.push(p);
  if (isResult(started)) {
    if (logging) debug('%s done without blocking (timeout %d ms)', tag, op.timeout);
    // A failure settles on a later turn: a loop retrying an op that fails
    // at once (accept under EMFILE) would otherwise run on microtasks
    // alone, and timers and I/O (what could free fds) would never run.
    if (started.status === Status.Error) setImmediate(deliver, p, started);
    else deliver(p, started);
    return promise;
  }
  p.id = Math.abs(started);
  pending.set(p.id, p);
  if (logging) debug('%s pending (id %d, %s, timeout %d ms)', tag, p.id, started < 0 ? 'queued' : 'in kernel', op.timeout);
  if (signal !== undefined) {
    p.onAbort = () => onAbort(p);
    signal.addEventListener('abort', p.onAbort, { once: true });
  }
  p.queued = started < 0;
  return promise;
}
