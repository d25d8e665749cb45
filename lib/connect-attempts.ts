// Trying the resolved addresses within one budget, as net's
// internalConnectMultiple does with autoSelectFamily: one address at a time,
// families interleaved (the first address's family first), every attempt
// but the last bounded by autoSelectFamilyAttemptTimeout. Here that bound is
// the native connect's own timeout (min(attempt timeout, budget left)), so
// the kernel decides it, never a JavaScript timer. The budget is charged
// with what each attempt took on the native clock (from its call to its
// decidedAt), not with the JavaScript thread's delays between attempts.
import { allAttemptsFailed, attemptTimedOut, withHostPort } from './connect-error.js';
import { channels } from './diagnostics.js';
import { abortError, ConnectTimeoutError } from './errors.js';
import type { KernelSocket } from './socket.js';

/** Internal: how connect() reports net's events to a stream that connects (createConnection()). */
export const kConnectEvents = Symbol('kernel-timeout-socket.connectEvents');
export type ConnectEvents = (event: string, ...args: unknown[]) => void;

/**
 * net's connect events for `target`: those emitted before release() (during
 * the synchronous connect call) wait for the next tick, as net's do.
 */
export function eventsOf(target: { emit(event: string, ...args: unknown[]): boolean }): {
  emit: ConnectEvents;
  release(): void;
} {
  let held: unknown[][] | undefined = [];
  return {
    emit: (event, ...args) => {
      if (held) held.push([event, ...args]);
      else target.emit(event, ...args);
    },
    release: () => {
      const early = held!;
      held = undefined;
      if (early.length === 0) return;
      process.nextTick(() => {
        for (const [e, ...a] of early) target.emit(e as string, ...a);
      });
    },
  };
}

/** An address to try: 4 or 6, or 0 for a Unix path. */
export interface Target {
  address: string;
  family: 0 | 4 | 6;
}

/** What an attempt reports back, and the local address it binds (net's localAddress/localPort). */
export interface AttemptHooks {
  /** Called once the socket is open (and bound), right before its connect(2): net emits 'connectionAttempt' there. */
  connecting(): void;
  /** When the kernel answered the connect (hrtime ms), if it says. */
  decided(at: number | undefined): void;
  local?: { address: string | undefined; port: number };
}

/** One connect(2) of a fresh socket. */
export type Attempt = (target: Target, timeout: number, hooks: AttemptHooks) => Promise<KernelSocket>;

export interface Plan {
  addresses: Target[];
  port: number;
  /** Budget left, ms; Infinity: none. */
  left: number;
  /** The whole connect's timeout, for its error. */
  timeout: number;
  /** net's multi-address mode (autoSelectFamily with more than one address). */
  multiple: boolean;
  attemptTimeout: number;
  signal: AbortSignal | undefined;
  emit: ConnectEvents | undefined;
}

const hrNow = () => Number(process.hrtime.bigint()) / 1e6;

/** net's order: the first address's family first, then the families alternate. */
export function interleave(list: Target[]): Target[] {
  if (list.length === 0) return list;
  const seen = new Set<string>();
  const unique = list.filter((a) => !seen.has(a.address) && seen.add(a.address));
  const first = unique[0]!.family;
  const a = unique.filter((x) => x.family === first);
  const b = unique.filter((x) => x.family !== first);
  const out: Target[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}

export async function attemptAll(plan: Plan, attempt: Attempt): Promise<KernelSocket> {
  const { port, emit, signal } = plan;
  const errors: unknown[] = [];
  let left = plan.left;
  for (let i = 0; i < plan.addresses.length; i++) {
    const target = plan.addresses[i]!;
    if (signal?.aborted) throw abortError(signal);
    if (left <= 0) throw overall(plan.timeout);
    const before = left;
    const bounded = plan.multiple && i < plan.addresses.length - 1;
    const timeout = bounded ? Math.min(plan.attemptTimeout, left) : left;
    let connecting = false;
    let decidedAt: number | undefined;
    const hooks: AttemptHooks = {
      connecting: () => {
        connecting = true;
        // net's arguments; a Unix path has neither port nor family.
        if (target.family === 0) emit?.('connectionAttempt', target.address, undefined, undefined);
        else emit?.('connectionAttempt', target.address, port, target.family);
        if (channels.connectAttempt.hasSubscribers) {
          channels.connectAttempt.publish({ ...target, port, timeout: timeout === Infinity ? 0 : timeout });
        }
      },
      decided: (at) => {
        decidedAt = at;
      },
    };
    const began = hrNow();
    try {
      return await attempt(target, timeout === Infinity ? 0 : timeout, hooks);
    } catch (raw) {
      if (left !== Infinity) left -= (decidedAt ?? hrNow()) - began;
      let err = raw;
      if (raw instanceof ConnectTimeoutError) {
        // The attempt's own bound, not the budget: net's next address.
        if (!(bounded && timeout < before)) throw overall(plan.timeout, raw);
        err = attemptTimedOut(target.address, port);
        emit?.('connectionAttemptTimeout', target.address, port, target.family);
      } else {
        if ((raw as { name?: string }).name === 'AbortError') throw raw;
        // Failed before its connect(2) (open, bind): net records it, emits nothing.
        if (!connecting) {
          if (!plan.multiple) throw raw;
          errors.push(raw);
          continue;
        }
        err = withHostPort(raw, target.address, port);
        // A Unix path's too, with neither port nor family (as net's for a pipe).
        if (target.family === 0) emit?.('connectionAttemptFailed', target.address, undefined, undefined, err);
        else emit?.('connectionAttemptFailed', target.address, port, target.family, err);
      }
      if (channels.connectAttemptFailed.hasSubscribers) {
        channels.connectAttemptFailed.publish({ ...target, port, error: err });
      }
      errors.push(err);
    }
  }
  if (!plan.multiple) throw errors[0];
  throw allAttemptsFailed(errors);
}

function overall(timeout: number, cause?: ConnectTimeoutError): ConnectTimeoutError {
  if (cause && cause.timeout === timeout) return cause;
  return new ConnectTimeoutError(`connect timed out after ${timeout} ms`, {
    code: 'ERR_SOCKET_CONNECT_TIMEOUT',
    errno: cause?.errno,
    syscall: cause?.syscall ?? 'connect',
    timeout,
    decidedAt: cause?.decidedAt,
  });
}
