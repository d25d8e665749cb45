// The two ways an op's outcome reaches JavaScript besides a delivered id:
// an op that finished at once on a free lane settles directly, with no
// record; and a read's few bytes come through the addon's one landing
// Buffer (native/result.h Landing) and are copied out at once. Each
// returned Buffer must be the caller's own, whichever way its bytes came,
// and call order must hold around a direct settlement's onSettled.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WriteOptions } from '../dist/index.js';
import { ENGINES, pair, pattern } from './helpers.js';
// The same module instance the package uses (vitest's import would load a second copy, with its own symbol).
const { kSettled } = require('../dist/operation.js') as typeof import('../dist/operation.js');

/** Sizes around the landing's room (4095 bytes) and its copy by byte (32): both sides of each. */
const SIZES = [1, 32, 33, 100, 4095, 4096, 5000];

/** got[i]: SIZES[i] bytes of pattern(seed i + 1), in an ArrayBuffer of their own (not the landing's, not shared). */
function expectOwnBytes(got: Buffer[]): void {
  for (const [i, size] of SIZES.entries()) {
    expect(got[i]!.equals(pattern(size, i + 1))).toBe(true);
    expect(got[i]!.byteOffset).toBe(0);
    expect(got[i]!.buffer.byteLength).toBe(size);
  }
}

describe.each(ENGINES)('settle paths (%s engine)', (engine) => {
  it('a read whose bytes were waiting (done at once) gets a Buffer of its own, each time', async () => {
    const p = await pair('unix', {}, engine);
    const got: Buffer[] = [];
    for (const [i, size] of SIZES.entries()) {
      // The peer's write has put every byte in the client's receive queue
      // (a Unix socket's send queues them on the receiver) before the read.
      await p.peer.write(pattern(size, i + 1), { timeout: 5000 });
      got.push(await p.client.readExactly(size, { timeout: 5000 }));
    }
    expectOwnBytes(got);
    await p.close();
  });

  it('a read that waited gets a Buffer of its own, each time', async () => {
    const p = await pair('unix', {}, engine);
    const got: Buffer[] = [];
    for (const [i, size] of SIZES.entries()) {
      const read = p.client.readExactly(size, { timeout: 5000 }); // nothing sent yet: it waits
      await p.peer.write(pattern(size, i + 1), { timeout: 5000 });
      got.push(await read);
    }
    expectOwnBytes(got);
    await p.close();
  });

  it("an exact read's partial bytes at end of stream are its own", async () => {
    const p = await pair('unix', {}, engine);
    await p.peer.write(pattern(10, 3), { timeout: 5000 });
    await p.peer.end();
    const err = await p.client.readExactly(20, { timeout: 5000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_END_OF_STREAM', bytesRead: 10 });
    const partial = (err as { partial: Buffer }).partial;
    expect(partial.equals(pattern(10, 3))).toBe(true);
    expect(partial.buffer.byteLength).toBe(10);
    await p.close();
  });

  it("a write started in a settling write's callback settles after that callback returns", async () => {
    const p = await pair('unix', {}, engine);
    const events: string[] = [];
    const second: Promise<void>[] = [];
    // Both writes are small: the kernel takes each at once, so the first
    // settles directly and the second is started from its callback.
    const first = p.client.write('a', {
      timeout: 5000,
      [kSettled]: () => {
        events.push('first settled');
        second.push(
          p.client.write('b', {
            timeout: 5000,
            [kSettled]: () => events.push('second settled'),
          } as WriteOptions),
        );
        events.push('first callback returns');
      },
    } as WriteOptions);
    expect(events).toEqual(['first settled', 'first callback returns', 'second settled']);
    await first;
    await second[0];
    expect((await p.peer.readExactly(2, { timeout: 5000 })).toString()).toBe('ab');
    await p.close();
  });
});

describe('a second copy of the module over the same addon', () => {
  it.each(ENGINES)('reads and writes correctly from both copies (%s engine)', (engine) => {
    // In a child: its require cache is its own to clear.
    const child = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'second-copy.js'), engine], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ ok: true, copies: 2 });
  });
});
