// Blocked reads run on the addon's own threads, never on libuv's 4-thread
// pool, so fs, dns, crypto and zlib stay prompt while many reads block.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { addonThreads, ENGINES, pair } from './helpers.js';

describe.each(ENGINES)('neighbours on the libuv threadpool (%s engine)', (engine) => {
  it('fs.readFile and dns.lookup complete promptly while 16 reads are blocked', async () => {
    const pairs = await Promise.all(Array.from({ length: 16 }, () => pair('tcp4', {}, engine)));
    const blocked = pairs.map((p) => p.peer.read(10, { timeout: 20_000 }).catch((e) => e));
    expect(addonThreads()).toBeGreaterThanOrEqual(16);
    const t0 = Date.now();
    await readFile(__filename);
    await lookup('localhost');
    // With the reads on libuv's pool these would wait for a 20 s timeout.
    expect(Date.now() - t0).toBeLessThan(2000);
    await Promise.all(pairs.map((p) => p.close()));
    await Promise.all(blocked);
  });
});
