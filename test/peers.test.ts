// Peers that misbehave: a reset mid-read is ECONNRESET as a SocketError; a
// half-closed peer is end of stream (and the other direction still works);
// writing to a closed peer is EPIPE (or ECONNRESET) as a SocketError and
// never a SIGPIPE; a peer that stops reading gives a WriteTimeoutError whose
// bytesWritten is exactly what the peer can then read.
import { createServer, type Server, type Socket } from 'node:net';
import { beforeAll, afterEach, describe, expect, it } from 'vitest';
import { connect, EndOfStreamError, SocketError, WriteTimeoutError, type KernelSocket } from '../dist/index.js';
import { ENGINES, pair, pattern, TRANSPORTS, type EngineName } from './helpers.js';

// The engine of the describe block running now (set in its beforeAll), for
// the helpers above the blocks.
let current: EngineName = 'threads';

/** A node:net server as the misbehaving peer, and our socket connected to it. */
async function netPeer(): Promise<{ client: KernelSocket; peer: Socket; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const { port } = server.address() as { port: number };
  const client = await connect({ engine: current, host: '127.0.0.1', port, timeout: 5000 });
  return { client, peer: await accepted, server };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe.each(ENGINES)('misbehaving peers (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });
  it('a reset mid-read rejects with SocketError ECONNRESET', async () => {
    const { client, peer, server } = await netPeer();
    cleanups.push(
      () => client.close(),
      () => void server.close(),
    );
    const reading = client.read(64, { timeout: 5000 });
    peer.resetAndDestroy(); // SO_LINGER 0 + close: the kernel sends RST
    const err = await reading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SocketError);
    expect(err).toMatchObject({ code: 'ECONNRESET', syscall: 'recv' });
    // The socket is dead but still closes cleanly.
    await client.close();
  });

  it('a reset during a write rejects with SocketError, not a crash', async () => {
    const { client, peer, server } = await netPeer();
    cleanups.push(
      () => client.close(),
      () => void server.close(),
    );
    peer.pause();
    const writing = client.write(Buffer.alloc(32 << 20, 1), { timeout: 5000 });
    peer.resetAndDestroy();
    const err = await writing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SocketError);
    expect(['ECONNRESET', 'EPIPE']).toContain((err as SocketError).code);
  });

  for (const transport of TRANSPORTS) {
    it(`${transport}: a half-closed peer gives end of stream; our direction still works`, async () => {
      const p = await pair(transport, {}, engine);
      cleanups.push(p.close);
      await p.peer.write('abcd');
      await p.peer.end();
      expect((await p.client.read(64, { timeout: 5000 }))?.toString()).toBe('abcd');
      expect(await p.client.read(64, { timeout: 5000 })).toBeNull();
      expect(await p.client.read(64, { timeout: 5000 })).toBeNull(); // and stays so
      await p.client.write('still open');
      expect((await p.peer.readExactly(10, { timeout: 5000 })).toString()).toBe('still open');
    });

    it(`${transport}: readExactly across a half-close gives EndOfStreamError with the partial bytes`, async () => {
      const p = await pair(transport, {}, engine);
      cleanups.push(p.close);
      await p.peer.write('abc');
      await p.peer.end();
      const err = await p.client.readExactly(10, { timeout: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EndOfStreamError);
      expect((err as EndOfStreamError).partial.toString()).toBe('abc');
      expect((err as EndOfStreamError).bytesRead).toBe(3);
    });

    it(`${transport}: writing to a closed peer is a SocketError (EPIPE), never a SIGPIPE`, async () => {
      let sigpipes = 0;
      const onSigpipe = () => void sigpipes++;
      process.on('SIGPIPE', onSigpipe); // a raised SIGPIPE would land here
      cleanups.push(() => void process.off('SIGPIPE', onSigpipe));
      const p = await pair(transport, {}, engine);
      cleanups.push(p.close);
      await p.peer.close();
      let err: unknown;
      // TCP: the first write may still be accepted; the RST it draws fails the next.
      for (let i = 0; i < 50 && err === undefined; i++) {
        err = await p.client.write(Buffer.alloc(1024, 1), { timeout: 5000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
      }
      expect(err).toBeInstanceOf(SocketError);
      expect(transport === 'unix' ? ['EPIPE'] : ['EPIPE', 'ECONNRESET']).toContain((err as SocketError).code);
      // Give a raised signal time to be dispatched to its handler.
      await new Promise((resolve) => setImmediate(resolve));
      expect(sigpipes).toBe(0);
    });

    it(`${transport}: a peer that stops reading gives WriteTimeoutError with exact bytesWritten`, async () => {
      const p = await pair(transport, {}, engine);
      cleanups.push(p.close);
      const data = pattern(32 << 20, 7);
      const err = await p.client.write(data, { timeout: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WriteTimeoutError);
      const written = (err as WriteTimeoutError).bytesWritten;
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(data.length);
      await p.client.close(); // the peer then reads what was written, then EOF
      const got: Buffer[] = [];
      for (;;) {
        const chunk = await p.peer.read(1 << 20, { timeout: 5000 });
        if (chunk === null) break;
        got.push(chunk);
      }
      const all = Buffer.concat(got);
      expect(all.length).toBe(written);
      expect(all.equals(data.subarray(0, written))).toBe(true);
    });
  }
});
