// On the loop engine an op queued behind one that its deadline thread
// decided waits on the event loop too, not on an owned thread: many sockets
// with queued reads add no thread per read.
import { describe, expect, it } from 'vitest';
import { ReadTimeoutError } from '../dist/index.js';
import { addonThreads, pair } from './helpers.js';

const SOCKETS = 200;
// Owned threads the run may add whatever it queues: the deadline thread and
// a few pool threads; one per queued read would be SOCKETS.
const SPARE_THREADS = 10;

describe('queued reads on the loop engine', () => {
  it(`${SOCKETS} sockets x 3 queued reads, the first of each decided by the deadline thread, add no thread per read`, {
    timeout: 60_000,
  }, async () => {
    const pairs = await Promise.all(Array.from({ length: SOCKETS }, () => pair('tcp4', {}, 'loop')));
    try {
      const before = addonThreads();
      const reads = pairs.map((p) => [
        p.client.read(10, { timeout: 200 }).catch((e) => e),
        p.client.read(10, { timeout: 30_000 }),
        p.client.read(10, { timeout: 30_000 }),
      ]);
      // No byte comes in time: the deadline thread decides every first read,
      // and the second of each socket starts then.
      for (const [first] of reads) expect(await first).toBeInstanceOf(ReadTimeoutError);
      let most = addonThreads();
      await Promise.all(pairs.map((p, i) => p.peer.write(`b${i}`)));
      for (const [i, r] of reads.entries()) expect((await r[1])!.toString()).toBe(`b${i}`);
      most = Math.max(most, addonThreads());
      await Promise.all(pairs.map((p, i) => p.peer.write(`c${i}`)));
      for (const [i, r] of reads.entries()) expect((await r[2])!.toString()).toBe(`c${i}`);
      most = Math.max(most, addonThreads());
      expect(most - before).toBeLessThanOrEqual(SPARE_THREADS);
    } finally {
      await Promise.all(pairs.map((p) => p.close()));
    }
  });
});
