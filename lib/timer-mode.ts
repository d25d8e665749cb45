// Which kernel timer bounds an operation that has to wait.
//
// 'sockopt' (the default): the time left goes into SO_RCVTIMEO/SO_SNDTIMEO
// of a blocking call. Linux keeps that in jiffies and fires it from the
// timer wheel: a 1 ms timeout fires ~5 ms late, 1 s some 10-30 ms late, 3 s
// up to ~180 ms late (docs/timer-granularity.md).
// 'poll': the owned thread waits in ppoll(2) (poll(2) off Linux) for the
// time left, on a high-resolution timer that is still armed inside the
// kernel, then makes the call without waiting. Same errors, same
// no-byte-lost and close guarantees; SO_RCVTIMEO/SO_SNDTIMEO stay set as a
// backstop. Costs one more syscall per wait.
import type { Engine } from './engine.js';
import { TimerCode } from './native.js';
import { invalidArgValue } from './validate.js';

export type TimerMode = 'sockopt' | 'poll';

export const DEFAULT_TIMER: TimerMode = 'sockopt';

/** A timer mode; undefined gives `fallback` (and is refused without one). */
export function validateTimer(value: unknown, name: string, fallback?: TimerMode): TimerMode {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value !== 'sockopt' && value !== 'poll') throw invalidArgValue(name, value, "must be 'sockopt' or 'poll'");
  return value;
}

/** The default timer of an engine: 'loop' has only its deadline thread. */
export function defaultTimer(engine: Engine): TimerMode {
  return engine === 'loop' ? 'poll' : DEFAULT_TIMER;
}

/**
 * validateTimer for a socket of `engine`: the loop engine's deadline thread
 * is a high-resolution timer, so it is 'poll' and 'sockopt' is refused.
 */
export function validateTimerFor(engine: Engine, value: unknown, name: string, fallback?: TimerMode): TimerMode {
  const mode = validateTimer(value, name, fallback);
  if (engine === 'loop' && mode === 'sockopt') {
    throw invalidArgValue(name, value, "must be 'poll' with engine 'loop' (its deadline thread is a high-resolution timer)");
  }
  return mode;
}

export function timerCode(mode: TimerMode): TimerCode {
  return mode === 'poll' ? TimerCode.Poll : TimerCode.Sockopt;
}
