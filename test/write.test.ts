// Writes: every byte into the kernel or a WriteTimeoutError that says how
// many went; large transfers byte-exact both ways.
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TimeoutError, WriteTimeoutError } from '../dist/index.js';
import { CASES, pair, pattern } from './helpers.js';

async function readAll(sock: { read(n: number, o?: object): Promise<Buffer | null> }, total: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < total) {
    const chunk = await sock.read(65536, { timeout: 10_000 });
    if (chunk === null) break;
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

describe.each(CASES)('write over %s, %s engine', (transport, engine) => {
  it('accepts Buffer, Uint8Array and strings with an encoding', async () => {
    const p = await pair(transport, {}, engine);
    await p.client.write(Buffer.from('ab'));
    await p.client.write(new Uint8Array([0x63]));
    await p.client.write('6465', { encoding: 'hex' });
    expect((await p.peer.readExactly(4)).toString()).toBe('abcd');
    await p.close();
  });

  it('a peer that stops reading gives WriteTimeoutError with a true bytesWritten, and no byte is lost', async () => {
    const p = await pair(transport, {}, engine);
    const big = pattern(64 * 1024 * 1024, 7); // far more than the socket buffers hold
    const err = await p.client.write(big, { timeout: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(WriteTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ERR_SOCKET_WRITE_TIMEOUT', syscall: 'send', timeout: 100 });
    expect(err.bytesWritten).toBeGreaterThan(0);
    expect(err.bytesWritten).toBeLessThan(big.length);
    // Exactly the first bytesWritten bytes reach the peer, in order.
    await p.client.end();
    const got = await readAll(p.peer, big.length);
    expect(got.length).toBe(err.bytesWritten);
    expect(got.equals(big.subarray(0, err.bytesWritten))).toBe(true);
    await p.close();
  });

  it.each([
    ['client to peer', false],
    ['peer to client', true],
  ])('transfers 32 MiB byte-exact %s', async (_name, reverse) => {
    const p = await pair(transport, {}, engine);
    const [from, to] = reverse ? [p.peer, p.client] : [p.client, p.peer];
    const data = pattern(32 * 1024 * 1024, reverse ? 3 : 5);
    const sending = (async () => {
      for (let off = 0; off < data.length; off += 1 << 20) {
        await from.write(data.subarray(off, off + (1 << 20)), { timeout: 10_000 });
      }
      await from.end();
    })();
    const got = await readAll(to, data.length);
    await sending;
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
    expect(await to.read()).toBeNull();
    await p.close();
  });

  it('the caller may change its Buffers as soon as write() returns, running or queued', async () => {
    const p = await pair(transport, {}, engine);
    // Far more than the socket buffers hold: most of the first write must
    // wait, and the second waits in the queue behind it.
    const first = pattern(8 * 1024 * 1024, 11);
    const second = pattern(1024 * 1024, 12);
    const want = Buffer.concat([first, second]);
    const writes = [p.client.write(first, { timeout: 10_000 }), p.client.write(second, { timeout: 10_000 })];
    first.fill(0);
    second.fill(0);
    const got = await readAll(p.peer, want.length);
    await Promise.all(writes);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
    await p.close();
  });

  it('writes settle in call order and their bytes arrive in call order', async () => {
    const p = await pair(transport, {}, engine);
    const chunks = Array.from({ length: 50 }, (_, i) => pattern(100_000, i + 1));
    const writes = chunks.map((c) => p.client.write(c, { timeout: 10_000 }));
    const all = Buffer.concat(chunks);
    const got = await readAll(p.peer, all.length);
    await Promise.all(writes);
    expect(got.equals(all)).toBe(true);
    await p.close();
  });
});

// The contrast the API documents: net.Socket keeps a reference to a Buffer
// it could not write at once, so a change before the write's callback is
// sent; this package copies the rest at the call (test above).
describe('write buffer ownership beside node:net', () => {
  it('net.Socket sends a Buffer changed after write() returned', async () => {
    const p = await pair('tcp4');
    const addr = p.server.address() as { port: number };
    const accepted = p.server.accept({ timeout: 5000 });
    const s = netConnect({ host: '127.0.0.1', port: addr.port });
    await once(s, 'connect');
    const peer = await accepted;
    const data = pattern(8 * 1024 * 1024, 13);
    const want = Buffer.from(data);
    const written = new Promise<void>((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));
    expect(s.writableLength).toBeGreaterThan(0); // net kept the rest, by reference
    data.fill(0);
    const got = await readAll(peer, data.length);
    await written;
    expect(got.length).toBe(data.length);
    expect(got.equals(want)).toBe(false);
    s.destroy();
    await peer.close();
    await p.close();
  });
});
