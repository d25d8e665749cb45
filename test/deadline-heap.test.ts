// The loop engine's deadline thread keeps one heap entry per waiting op,
// however often its deadline moves (setReadDeadline in a loop).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
