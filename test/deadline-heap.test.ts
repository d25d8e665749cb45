// The loop engine's deadline thread keeps one heap entry per waiting op,
// however often its deadline moves (setReadDeadline in a loop), and one per
// socket and direction however many ops wait in turn (the waiter is reused).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ReadTimeoutError } from '../dist/index.js';
import { pair } from './helpers.js';

const { NativeSocket } = require('node-gyp-build')(join(__dirname, '..')) as {
  NativeSocket: { deadlineEntries(): number };
};

const CALLS = 200_000;
// Compaction runs once superseded entries pass 1024 and outnumber live ones.
const BOUND = 2100;

describe('deadline heap (loop engine)', () => {
  it.each([
    ['later', 1],
    ['earlier', -1],
  ])('%s deadlines: the heap stays bounded', { timeout: 60_000 }, async (_name, step) => {
    const p = await pair('tcp4', {}, 'loop');
    const reading = p.client.read(10, { timeout: 120_000 });
    const base = Date.now() + 60_000;
    let most = 0;
    for (let i = 0; i < CALLS; i++) {
      p.client.setReadDeadline(base + (step as number) * i * 0.01);
      if (i % 1000 === 0) most = Math.max(most, NativeSocket.deadlineEntries());
    }
    most = Math.max(most, NativeSocket.deadlineEntries());
    expect(most).toBeLessThan(BOUND);
    // The read still honours the last deadline: data in time is read.
    await p.peer.write('in time');
    expect((await reading)!.toString()).toBe('in time');
    await p.close();
  });

  it('ops that wait in turn reuse one entry, and a shorter timeout after a longer one fires on time', {
    timeout: 60_000,
  }, async () => {
    const p = await pair('tcp4', {}, 'loop');
    const before = NativeSocket.deadlineEntries();
    // Each read waits (nothing is queued when it starts), then the peer's
    // byte completes it: the waiter's one entry stays at the first read's
    // 60 s deadline and serves every later read.
    for (let i = 0; i < 500; i++) {
      const reading = p.client.read(10, { timeout: 60_000 });
      await p.peer.write('x');
      expect((await reading)!.length).toBe(1);
    }
    expect(NativeSocket.deadlineEntries() - before).toBeLessThanOrEqual(1);
    // The entry is at ~60 s; this read's deadline is earlier, so it must
    // get an entry of its own and time out at 200 ms, not at 60 s.
    const started = performance.now();
    const err = await Promise.race([
      p.client.read(10, { timeout: 200 }).catch((e: unknown) => e),
      setTimeout(10_000, 'still pending after 10 s'), // a bound, not a wait for a state
    ]);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(5000);
    // And a longer one after it still times out (its entry moves later).
    const err2 = await p.client.read(10, { timeout: 300 }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ReadTimeoutError);
    await p.close();
  });
});
