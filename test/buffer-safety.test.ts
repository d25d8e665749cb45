// Buffer safety: native threads never touch JavaScript memory. A write uses
// the caller's bytes only during the call (what must wait is copied into
// native memory first); a read fills native memory and hands JavaScript a
// fresh copy (a full 64 KiB read on the JS thread: the Buffer recv
// filled, never written again). So after write() returns the caller may
// overwrite, detach (transfer) or drop its buffer, even while the write is
// still pending on an owned thread, and the peer still gets the original
// bytes; reads pending through garbage collections deliver exact bytes in
// buffers that share nothing with each other.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { addon } from './stress-helpers.js';
import { ENGINES, pair, pattern, TRANSPORTS } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZE = 24 << 20; // far more than the socket buffers: the write must wait

type Pair = Awaited<ReturnType<typeof pair>>;
let open: Pair | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function readAll(p: Pair, n: number): Promise<Buffer> {
  return p.peer.readExactly(n, { timeout: 10_000 });
}

describe.each(ENGINES)('buffer safety (%s engine)', (engine) => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: a pending write sends the original bytes after its buffer is overwritten, detached and collected`, async () => {
      open = await pair(transport, {}, engine);
      const original = pattern(SIZE, 21);
      let ab: ArrayBuffer | undefined = new ArrayBuffer(SIZE);
      new Uint8Array(ab).set(original);
      const writing = open.client.write(new Uint8Array(ab), { timeout: 10_000 });
      expect(addon.pending()).toBeGreaterThan(0); // still in flight on an owned thread
      new Uint8Array(ab).fill(0); // overwrite...
      structuredClone(ab, { transfer: [ab] }); // ...detach (the memory moves away)...
      expect(ab.byteLength).toBe(0);
      ab = undefined; // ...and let it be collected
      gc();
      const [got] = await Promise.all([readAll(open, SIZE), writing]);
      expect(got.equals(original)).toBe(true);
    });
  }

  it('a pending write from a SharedArrayBuffer is not affected by later stores', async () => {
    open = await pair('unix', {}, engine);
    const original = pattern(SIZE, 22);
    const shared = new Uint8Array(new SharedArrayBuffer(SIZE));
    shared.set(original);
    const writing = open.client.write(shared, { timeout: 10_000 });
    expect(addon.pending()).toBeGreaterThan(0);
    shared.fill(0xff);
    const [got] = await Promise.all([readAll(open, SIZE), writing]);
    expect(got.equals(original)).toBe(true);
  });

  it('reads pending through garbage collections deliver exact bytes in independent buffers', async () => {
    open = await pair('tcp4', {}, engine);
    const p = open;
    const sizes = [1, 7, 100, 4096, 65536, 3000];
    const reads = sizes.map((n) => p.client.readExactly(n, { timeout: 10_000 }));
    expect(addon.pending()).toBeGreaterThan(0); // waiting on owned threads for data
    // Churn the heap while they wait: allocate, drop, collect, compact.
    for (let i = 0; i < 5; i++) {
      let junk: Buffer[] | undefined = Array.from({ length: 200 }, () => Buffer.alloc(16384, i));
      junk = undefined;
      void junk;
      gc();
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    const stream = pattern(total, 23);
    await p.peer.write(stream);
    const got = await Promise.all(reads);
    expect(Buffer.concat(got).equals(stream)).toBe(true);
    // Each result owns its memory: scribbling on or detaching one leaves the
    // others, and later reads, intact.
    for (const b of got) b.fill(0);
    const copyOfStream = Buffer.from(stream);
    await p.peer.write(copyOfStream);
    const again = await p.client.readExactly(total, { timeout: 10_000 });
    expect(again.equals(stream)).toBe(true);
    const big = got[4]!;
    expect(big.buffer.byteLength).toBeGreaterThanOrEqual(big.length);
    for (const other of got) if (other !== big) expect(other.buffer).not.toBe(big.buffer);
  });

  it('full 64 KiB reads, at once or after a wait, each get memory no later read writes into', async () => {
    open = await pair('tcp4', {}, engine);
    const p = open;
    const BLOCK = 65536;
    const got: Buffer[] = [];
    const snapshots: Buffer[] = [];
    const keep = (b: Buffer | null) => {
      if (b === null) throw new Error('end of stream');
      got.push(b);
      snapshots.push(Buffer.from(b));
    };
    // Waiting reads: issued before their bytes exist (the loop engine reads
    // them on the JS thread when the fd is ready, the threads engine on an
    // owned thread), each answered by one 64 KiB write (a read may take
    // part of it; the next one the rest).
    for (let i = 0; i < 3; i++) {
      const reading = p.client.read(BLOCK, { timeout: 10_000 });
      await p.peer.write(pattern(BLOCK, 40 + i));
      keep(await reading);
    }
    // Reads done at once: a whole stream already queued, read in 64 KiB.
    const stream = pattern(8 * BLOCK, 50);
    const writing = p.peer.write(stream);
    let n = got.reduce((sum, b) => sum + b.length, 0) - 3 * BLOCK;
    while (n < stream.length) {
      const b = await p.client.read(BLOCK, { timeout: 10_000 });
      keep(b);
      n += b!.length;
    }
    await writing;
    expect(got.some((b) => b.length === BLOCK)).toBe(true);
    // More reads after them change none of them.
    await p.peer.write(pattern(4 * BLOCK, 60));
    expect((await p.client.readExactly(4 * BLOCK, { timeout: 10_000 })).equals(pattern(4 * BLOCK, 60))).toBe(true);
    for (let i = 0; i < got.length; i++) expect(got[i]!.equals(snapshots[i]!), `read ${i}`).toBe(true);
    const sent = Buffer.concat([pattern(BLOCK, 40), pattern(BLOCK, 41), pattern(BLOCK, 42), stream]);
    expect(Buffer.concat(got).equals(sent)).toBe(true);
  });

  it('a read aborted while in the kernel loses no byte: the next read gets them', async () => {
    open = await pair('unix', {}, engine);
    const ac = new AbortController();
    const aborted = open.client.read(1024, { signal: ac.signal });
    expect(addon.pending()).toBeGreaterThan(0);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORT_ERR' });
    gc();
    const data = pattern(5000, 24);
    await open.peer.write(data);
    // The abandoned read may take the first chunk; it is stashed for this one.
    const got = await open.client.readExactly(data.length, { timeout: 10_000 });
    expect(got.equals(data)).toBe(true);
  });
});
