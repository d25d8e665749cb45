// accept(): connections, kernel timeouts, iteration until close.
import { describe, expect, it } from 'vitest';
import { AcceptTimeoutError, connect, SocketClosedError, TimeoutError } from '../dist/index.js';
import { CASES, server, TRANSPORTS } from './helpers.js';

describe.each(CASES)('accept over %s, %s engine', (transport, engine) => {
  it('times out in the kernel with AcceptTimeoutError, and the server stays usable', async () => {
    const s = await server(transport, { engine, acceptTimeout: 50 });
    const t0 = Date.now();
    const err = await s.server.accept().catch((e) => e);
    expect(err).toBeInstanceOf(AcceptTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ERR_SOCKET_ACCEPT_TIMEOUT', timeout: 50 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(49);
    const accepted = s.server.accept({ timeout: 5000 });
    const c = await connect({ engine, ...s.connectOptions, timeout: 5000 });
    const peer = await accepted;
    await c.write('hi');
    expect((await peer.read())!.toString()).toBe('hi');
    await Promise.all([c.close(), peer.close()]);
    await s.cleanup();
  });

  it('accepted sockets get the server defaults for read and write timeouts', async () => {
    const s = await server(transport, { engine, readTimeout: 40, writeTimeout: 60 });
    const accepted = s.server.accept({ timeout: 5000 });
    const c = await connect({ engine, ...s.connectOptions, timeout: 5000 });
    const peer = await accepted;
    expect(peer.readTimeout).toBeGreaterThanOrEqual(40);
    expect(peer.writeTimeout).toBeGreaterThanOrEqual(60);
    const err = await peer.read().catch((e) => e);
    expect(err.timeout).toBe(40);
    await Promise.all([c.close(), peer.close()]);
    await s.cleanup();
  });

  it('for await yields connections until the server closes', async () => {
    const s = await server(transport, { engine });
    const seen: string[] = [];
    const loop = (async () => {
      for await (const sock of s.server) {
        seen.push((await sock.readExactly(1)).toString());
        await sock.close();
      }
    })();
    for (const tag of ['a', 'b', 'c']) {
      const c = await connect({ engine, ...s.connectOptions, timeout: 5000 });
      await c.write(tag);
      await c.read(); // the server closed it after reading: end of stream
      await c.close();
    }
    await s.cleanup();
    await loop;
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('close() during a pending accept rejects it with SocketClosedError at once', async () => {
    const s = await server(transport, { engine });
    const pending = s.server.accept({ timeout: 30_000 }).catch((e) => e);
    const t0 = Date.now();
    await s.cleanup();
    const err = await pending;
    expect(err).toBeInstanceOf(SocketClosedError);
    expect(Date.now() - t0).toBeLessThan(1000); // not at the 30 s timeout
  });
});
