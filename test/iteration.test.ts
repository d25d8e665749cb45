// Async iteration of a socket's chunks to end of stream, of a server's
// connections until it closes, and `await using` disposal.
import { describe, expect, it } from 'vitest';
import { connect, listen, ReadTimeoutError, type KernelServer, type KernelSocket } from '../dist/index.js';
import { ENGINES, pair, pattern, TRANSPORTS } from './helpers.js';

describe.each(ENGINES)('for await (const chunk of sock) (%s engine)', (engine) => {
  it.each(TRANSPORTS)('%s: yields every byte in order and ends at end of stream', async (transport) => {
    const p = await pair(transport, {}, engine);
    try {
      const data = pattern(3 * 1024 * 1024 + 17, 5);
      const sending = p.client.write(data).then(() => p.client.end());
      const chunks: Buffer[] = [];
      for await (const chunk of p.peer) chunks.push(chunk);
      await sending;
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      expect(chunks.length).toBeGreaterThan(1);
      expect(p.peer.closed).toBe(false); // iteration ending does not close the socket
    } finally {
      await p.close();
    }
  });

  it("each step uses the socket's read timeout: a stall throws ReadTimeoutError out of the loop", async () => {
    const p = await pair('tcp4', {}, engine);
    try {
      p.peer.setReadTimeout(100);
      await p.client.write('first');
      const seen: string[] = [];
      const err = await (async () => {
        for await (const chunk of p.peer) seen.push(String(chunk));
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(seen).toEqual(['first']);
      expect(err).toBeInstanceOf(ReadTimeoutError);
    } finally {
      await p.close();
    }
  });

  it("a server's connections, until close() ends the loop", async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = server.address() as { port: number };
    const accepted: KernelSocket[] = [];
    const loop = (async () => {
      for await (const sock of server) {
        accepted.push(sock);
        if (accepted.length === 2) void server.close();
      }
    })();
    const a = await connect({ engine, host: '127.0.0.1', port, timeout: 5000 });
    const b = await connect({ engine, host: '127.0.0.1', port, timeout: 5000 });
    await loop;
    expect(accepted).toHaveLength(2);
    await Promise.all([a.close(), b.close(), ...accepted.map((s) => s.close())]);
  });
});

const hasAsyncDispose = typeof Symbol.asyncDispose === 'symbol';

describe.skipIf(!hasAsyncDispose).each(ENGINES)(
  'await using (Symbol.asyncDispose; this runtime lacks it) (%s engine)',
  (engine) => {
    it('closes the socket and the server at the end of the block', async () => {
      let sock: KernelSocket | undefined;
      let srv: KernelServer | undefined;
      {
        await using server = await listen({ engine, host: '127.0.0.1', port: 0 });
        srv = server;
        const { port } = server.address() as { port: number };
        const accepted = server.accept({ timeout: 5000 });
        {
          await using client = await connect({ engine, host: '127.0.0.1', port, timeout: 5000 });
          sock = client;
          await client.write('x');
          await using peer = await accepted;
          expect(String(await peer.read(1, { timeout: 5000 }))).toBe('x');
          expect(client.closed).toBe(false);
        }
        expect(sock.closed).toBe(true);
        expect(server.closed).toBe(false);
      }
      expect(srv?.closed).toBe(true);
    });

    it('closes on the way out of a throwing block too', async () => {
      const p = await pair('unix', {}, engine);
      try {
        await expect(
          (async () => {
            await using s = p.client;
            void s;
            throw new Error('inside');
          })(),
        ).rejects.toThrow('inside');
        expect(p.client.closed).toBe(true);
      } finally {
        await p.close();
      }
    });
  },
);
