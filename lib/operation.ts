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
// The hot path allocates no closure of its own. An op that finished at once
// with no earlier op of its lane unsettled (most ops of a ping-pong) settles
// directly: a promise made settled, no record. An Ok outcome of an op with
// ok() (reads, writes, end) is settled from its bytes alone: no NativeResult
// built, no stack capture switched off (nothing on that path can throw). Any other op gets one plain
// record (Pending) in an env-wide id -> record table and its lane's list,
// and the addon settles it through one callback registered once
// (delivered), with the op id and the outcome as plain arguments. The
// record holds the op, whose `native` keeps the socket wrapper alive while
// the addon has the op.
import { debug } from './debug.js';
import { abortError, withoutStack } from './errors.js';
import { addon, Cancel, type NativeResult, type NativeSocket, type SettleCallback, type Started, Status } from './native.js';

/** What one kind of op is: how to start it and what its outcome means. */
export interface Operation<T> {
  /** For the debug log: called only when logging is on. */
  name(): string;
  /** The lane the op is served on in call order (reads and accepts, or writes and end of one socket); none for connect. */
  readonly lane: Lane | undefined;
  readonly native: NativeSocket;
  /** The op's own timeout, ms; 0 = none. */
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  /** Starts the op on the addon (its outcome comes to `delivered` by id, or back at once). */
  start(): Started;
  /** The value for a finished op's outcome, or throws its error. */
  outcome(r: NativeResult): T;
  /**
   * Optional: the value of an op that finished with status Ok, from its
   * bytes alone (a read's data; undefined otherwise), as outcome() would
   * give it; never throws. An op that has it settles an Ok outcome with no
   * NativeResult built and no stack capture to switch off.
   */
  ok?(data: Buffer | undefined): T;
  /** Called when an abort leaves the op in flight (connect closes its socket). */
  abandoned?(): void;
  /** Called as the op settles, synchronously: within start() for an op done without blocking (see kSettled). */
  readonly onSettled?: Settled | undefined;
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
 * (an aborted op stays in the table until the addon lets it go).
 */
export class Pending {
  settled = false;
  /** Its outcome, held while an earlier op of its lane is unsettled. */
  held: NativeResult | undefined = undefined;
  id = 0;
  /** Queued behind another op of its lane when it started: a timeout the addon decides then settles at once. */
  queued = false;
  /** The one abort listener, only when the op has a signal. */
  onAbort: (() => void) | undefined = undefined;
  /** The next unsettled op of its lane. */
  next: Pending | undefined = undefined;

  constructor(
    readonly op: Operation<unknown>,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
    /** performance.now() at the call when logging, else 0. */
    readonly began: number,
  ) {}
}

/**
 * One lane of a socket: its unsettled records in call order (a list through
 * Pending.next), and how many ops that settled directly are in their
 * onSettled call. While one is, the lane is not free: a later op's outcome
 * waits until that call returns, as it waits for an earlier record.
 */
export class Lane {
  head: Pending | undefined = undefined;
  tail: Pending | undefined = undefined;
  settling = 0;
}

/**
 * Ops the addon holds, at their id's slot: an id is generation * 2^22 +
 * slot (native/op_registry.h), and a slot is held by one pending op of this
 * env at a time, so an array by slot that checks the full id finds it with
 * no hashing (a Map hashed each id, most of them heap numbers past 2^31).
 * The addon reuses freed slots first: the array grows to the most ops ever
 * pending at once, at most 2^22 entries, and a delivered op's entry is
 * cleared.
 */
const bySlot: (Pending | undefined)[] = [];
const SLOT_MASK = 2 ** 22 - 1;

/** Puts p, which has its id, in the table. */
function hold(p: Pending): void {
  // ToInt32 keeps the low 32 bits of an integer below 2^53: the slot is exact.
  const slot = p.id & SLOT_MASK;
  // Packed: entries below the slot exist, even those a copy of this module sharing the addon holds.
  while (bySlot.length < slot) bySlot.push(undefined);
  bySlot[slot] = p;
}

/** Takes op `id` out of the table: its record, or undefined when this copy of the module does not hold it. */
function take(id: number): Pending | undefined {
  const slot = id & SLOT_MASK;
  const p = bySlot[slot];
  if (p === undefined || p.id !== id) return undefined;
  bySlot[slot] = undefined;
  return p;
}

/** For tests: whether the table holds op `id`. */
export function holdsOp(id: number): boolean {
  return bySlot[id & SLOT_MASK]?.id === id;
}

/** The op's value for outcome r, or throws its error. */
function outcomeOf(op: Operation<unknown>, r: NativeResult): unknown {
  return op.outcome(r);
}

/** Marks p settled and drops its abort listener: the first step of settling it, either way. */
function markSettled(p: Pending): void {
  p.settled = true;
  if (p.onAbort !== undefined) p.op.signal!.removeEventListener('abort', p.onAbort);
}

/**
 * Settles p now: with its outcome r, or (r undefined) with `err`. Leaves
 * p's lane as it is. Tells op.onSettled before the lane moves on, so later
 * ops' callbacks follow this one's.
 */
function settleNow(p: Pending, r: NativeResult | undefined, err?: unknown): void {
  markSettled(p);
  const logging = p.began !== 0;
  let error: Error | undefined;
  try {
    if (r === undefined) throw err; // an abort's error keeps its own stack
    // Settlement errors carry no stack (errors.ts withoutStack).
    p.resolve(withoutStack(outcomeOf, p.op, r));
    if (logging) logOk(p.op, p.began);
  } catch (e) {
    if (logging) logFailed(p.op, p.began, e);
    p.reject(e);
    error = e as Error;
  }
  p.op.onSettled?.(error);
}

/** settleNow for an Ok outcome of an op with ok(): nothing can throw, so no stack capture to switch off. */
function settleOk(p: Pending, data: Buffer | undefined): void {
  markSettled(p);
  p.resolve(p.op.ok!(data));
  if (p.began !== 0) logOk(p.op, p.began);
  p.op.onSettled?.(undefined);
}

function tagOf(op: Operation<unknown>): string {
  return `fd ${op.native.fd} ${op.name()}`;
}

function logOk(op: Operation<unknown>, began: number): void {
  debug('%s -> ok after %s ms', tagOf(op), (performance.now() - began).toFixed(1));
}

function logFailed(op: Operation<unknown>, began: number, e: unknown): void {
  debug('%s -> %s after %s ms', tagOf(op), (e as { code?: string }).code ?? e, (performance.now() - began).toFixed(1));
}

/** Settles p out of turn with `err` (an abort) and takes it off its lane. */
function settleAtOnce(p: Pending, err: unknown): void {
  if (p.settled) return;
  settleNow(p, undefined, err);
  leaveLane(p);
}

/** True while an earlier op of p's lane is unsettled. */
function waitsForTurn(p: Pending): boolean {
  const lane = p.op.lane;
  return lane !== undefined && (lane.head !== p || lane.settling > 0);
}

/**
 * A delivered outcome: settles p once every earlier op of its lane has
 * settled, else holds it. A timeout the addon decided while p was queued
 * settles at once: the op ahead may wait much longer.
 */
function deliver(p: Pending, r: NativeResult): void {
  if (p.settled) return;
  if (waitsForTurn(p) && !(p.queued && r.status === Status.Timeout)) {
    p.held = r;
    return;
  }
  settleNow(p, r);
  leaveLane(p);
}

/** Takes settled p off its lane; if it led, settles the held outcomes now at the head. Bounded by the lane's length. */
function leaveLane(p: Pending): void {
  const lane = p.op.lane;
  if (lane === undefined) return;
  if (lane.head !== p) {
    // Out of turn (an abort): unlink it from the middle or the end.
    let before = lane.head;
    while (before !== undefined && before.next !== p) before = before.next;
    if (before === undefined) return;
    before.next = p.next;
    if (lane.tail === p) lane.tail = before;
    p.next = undefined;
    return;
  }
  lane.head = p.next;
  if (lane.head === undefined) lane.tail = undefined;
  p.next = undefined;
  settleHeld(lane);
}

/** Settles the held outcomes at the head of a free lane, in call order. */
function settleHeld(lane: Lane): void {
  while (lane.settling === 0 && lane.head !== undefined && lane.head.held !== undefined) {
    const next = lane.head;
    lane.head = next.next;
    if (lane.head === undefined) lane.tail = undefined;
    next.next = undefined;
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
  if (data === landing) data = landed();
  if (id === 0) {
    finishedAtOnce.outcome = { status, bytes, decidedAt, errno, code, syscall, data, socket, peer };
    return;
  }
  const p = take(id);
  if (p === undefined) {
    // Another copy of this module started it (a module registry that
    // loaded lib/ twice over one addon): that copy's callback was the one
    // registered before this one.
    previous?.(id, status, bytes, decidedAt, errno, code, syscall, data, socket, peer);
    return;
  }
  if (p.settled || status === Status.Cancelled) return;
  if (status === Status.Ok && p.op.ok !== undefined && !waitsForTurn(p)) {
    settleOk(p, data);
    leaveLane(p);
    return;
  }
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

/**
 * Where the addon puts a read's bytes when they are few (native/result.h
 * Landing): their count in the first 4 bytes, the bytes from offset 8. It
 * passes this Buffer as the read's data, and they are copied out at once,
 * before anything else runs, into a Buffer of their own (allocUnsafeSlow:
 * its own ArrayBuffer at offset 0, as net.Socket's 'data' Buffers are; up
 * to 64 bytes V8 keeps it in its heap, no malloc). A pool slice
 * (Buffer.allocUnsafe) measured no cheaper and would share one ArrayBuffer
 * with unrelated data. A Buffer the addon builds cost ~3 800 instructions
 * per read, this ~1 600. One per addon, shared by all copies of this
 * module.
 */
const LANDING = Symbol.for('kernel-timeout-socket.landing');
const sharedLanding = addon as unknown as Record<symbol, Buffer | undefined>;
const landing = sharedLanding[LANDING] ?? Buffer.allocUnsafeSlow(8 + 4095);
sharedLanding[LANDING] = landing;
const landedCount = new Uint32Array(landing.buffer, landing.byteOffset, 1);

/**
 * Up to this many bytes are copied out of the landing one by one: a
 * Buffer#copy costs ~1 200 instructions whatever its size (it builds a
 * view of the source), a byte in a loop ~18.
 */
const COPY_BY_BYTE = 32;

/** The bytes the addon just put in `landing`, in a Buffer of their own. */
function landed(): Buffer {
  const n = landedCount[0]!;
  const data = Buffer.allocUnsafeSlow(n);
  if (n <= COPY_BY_BYTE) for (let i = 0; i < n; i++) data[i] = landing[8 + i]!;
  else landing.copy(data, 0, 8, 8 + n);
  return data;
}

const previous = addon.setSettle(delivered, landing);

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

/**
 * The outcome of an op whose start returned without an id: a result, the
 * outcome the settle callback got as id 0, or the addon's short forms of
 * the common ones (a read's bytes; true: a write or end done).
 */
function finished(started: Exclude<Started, number> | 0): NativeResult {
  if (started === 0) {
    const r = finishedAtOnce.outcome!;
    finishedAtOnce.outcome = undefined;
    return r;
  }
  if (started === true) return { status: Status.Ok };
  if (started === landing) return { status: Status.Ok, data: landed() };
  if (ArrayBuffer.isView(started)) return { status: Status.Ok, data: started };
  return started;
}

export function run<T>(op: Operation<T>): Promise<T> {
  const signal = op.signal;
  if (signal?.aborted) {
    debug('fd %d %s aborted before start', op.native.fd, op.name());
    return Promise.reject(abortError(signal));
  }
  // For the debug log: how long the op took. Checked once: with logging
  // off, an op builds no log arguments at all (a CPU profile of ping-pong
  // showed them at about 6 % of its time).
  const logging = debug.enabled;
  const began = logging ? performance.now() || Number.MIN_VALUE : 0;
  const started = op.start();
  if (typeof started === 'number' && started !== 0) return pend(op, started, began);
  const lane = op.lane;
  const free = lane === undefined || (lane.head === undefined && lane.settling === 0);
  if (free && op.ok !== undefined && (started === true || (typeof started === 'object' && ArrayBuffer.isView(started)))) {
    // The addon's short forms of Ok (a write or end done, a read's bytes).
    const data = started === true ? undefined : started === landing ? landed() : started;
    if (logging) debug('%s done without blocking (timeout %d ms)', tagOf(op), op.timeout);
    return settleDirectly(op, Promise.resolve(op.ok(data)), undefined, began);
  }
  const r = finished(started);
  if (logging) debug('%s done without blocking (timeout %d ms)', tagOf(op), op.timeout);
  // A failure settles on a later turn: a loop retrying an op that fails at
  // once (accept under EMFILE) would otherwise run on microtasks alone, and
  // timers and I/O (what could free fds) would never run.
  if (r.status !== Status.Error && free) return settleFinished(op, r, began);
  const promise = new Promise<unknown>(capture) as Promise<T>;
  const p = record(op, began);
  if (r.status === Status.Error) setImmediate(deliver, p, r);
  else deliver(p, r);
  return promise;
}

/** Settles an op that finished at once with outcome r on a free lane (settleDirectly). */
function settleFinished<T>(op: Operation<T>, r: NativeResult, began: number): Promise<T> {
  let value: T;
  try {
    value = withoutStack(outcomeOf, op, r) as T;
  } catch (e) {
    if (began !== 0) logFailed(op, began, e);
    return settleDirectly(op, Promise.reject(e), e as Error, 0);
  }
  return settleDirectly(op, Promise.resolve(value), undefined, began);
}

/**
 * Settles an op that finished at once on a free lane: `promise` is made
 * settled already (rejected with `error`, if any), and while its onSettled
 * runs the lane is not free (an op started in that call settles after it
 * returns, as behind a record). began !== 0: log the success.
 */
function settleDirectly<T>(op: Operation<T>, promise: Promise<T>, error: Error | undefined, began: number): Promise<T> {
  if (began !== 0) logOk(op, began);
  const onSettled = op.onSettled;
  if (onSettled === undefined) return promise;
  const lane = op.lane;
  if (lane === undefined) {
    onSettled(error);
    return promise;
  }
  lane.settling++;
  try {
    onSettled(error);
  } finally {
    lane.settling--;
    settleHeld(lane);
  }
  return promise;
}

/** A record for op, with the promise just made by capture, at the end of its lane. */
function record(op: Operation<unknown>, began: number): Pending {
  const p = new Pending(op, resolveNext, rejectNext, began);
  // Not kept here: they would hold the promise, and so its value (a socket), after it settles.
  resolveNext = rejectNext = undefined!;
  const lane = op.lane;
  if (lane !== undefined) {
    if (lane.tail === undefined) lane.head = p;
    else lane.tail.next = p;
    lane.tail = p;
  }
  return p;
}

/** Records an op the addon holds under id |started| (negative: queued behind another op of its lane). */
function pend<T>(op: Operation<T>, started: number, began: number): Promise<T> {
  const promise = new Promise<unknown>(capture) as Promise<T>;
  const p = record(op, began);
  p.id = Math.abs(started);
  hold(p);
  if (began !== 0) {
    debug('%s pending (id %d, %s, timeout %d ms)', tagOf(op), p.id, started < 0 ? 'queued' : 'in kernel', op.timeout);
  }
  const signal = op.signal;
  if (signal !== undefined) {
    p.onAbort = () => onAbort(p);
    signal.addEventListener('abort', p.onAbort, { once: true });
  }
  p.queued = started < 0;
  return promise;
}
