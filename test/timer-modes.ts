// Plumbing for tests that run the same assertions in both timer modes:
// the modes, the transports they run over, a clock, and pairs closed after
// each test.
import { afterEach } from 'vitest';
import type { TimerMode } from '../dist/index.js';
import { type EngineName, pair, type Transport } from './helpers.js';

export const MODES: TimerMode[] = ['sockopt', 'poll'];
export const MODE_TRANSPORTS: Transport[] = ['tcp4', 'unix'];
/** process.hrtime's clock in ms, the one err.decidedAt uses. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Call at a test file's top level: `cleanups` run after each test, and
 * openPair makes a connected pair in a timer mode (on an engine, 'threads'
 * unless given) that is closed then.
 */
export function perTestCleanup() {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const openPair = async (transport: Transport, timer: TimerMode, engine: EngineName = 'threads') => {
    const p = await pair(transport, { timer }, engine);
    cleanups.push(p.close);
    return p;
  };
  return { cleanups, openPair };
}
