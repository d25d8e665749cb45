// test/stall.test.ts for a connect by host name: the name is resolved on a
// thread the addon owns and the verdict "resolved in time?" is taken there,
// so an event-loop stall after the answer cannot turn it into a timeout. A
// JavaScript timer around dns.lookup would fire first after the stall.
import { describe, expect, it } from 'vitest';
import { ENGINES } from './helpers.js';
import { connect, ConnectTimeoutError, listen } from '../dist/index.js';

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a synchronous stall of the event loop
  }
}

describe.each(ENGINES)('a connect by host name (%s engine)', (engine) => {
  it('connects after a stall longer than its timeout, when the name was resolved in time', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = server.address() as { port: number };
    for (let trial = 0; trial < 3; trial++) {
      const accepted = server.accept({ timeout: 10_000 });
      // 'localhost' is in /etc/hosts: getaddrinfo answers within a ms or two
      // on a quiet machine; the 1 s budget leaves room for a loaded CI one.
      // The stall outlasts the budget, so a JavaScript timer would fire first.
      const pending = connect({ engine, host: 'localhost', port, family: 4, timeout: 1000 });
      busy(1500);
      const client = await pending;
      expect(client.remoteAddress()).toMatchObject({ address: '127.0.0.1', port });
      await Promise.all([client.close(), (await accepted).close()]);
    }
    await server.close();
  });

  it('a name not resolved within the budget is a ConnectTimeoutError decided off the JavaScript thread', async () => {
    // 1 µs: getaddrinfo cannot answer in time, so the resolver's threads
    // give the verdict; no JavaScript timer is armed for it.
    const before = Number(process.hrtime.bigint()) / 1e6;
    const err = await connect({ engine, host: 'localhost', port: 1, timeout: 0.001 }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    expect(err).toMatchObject({ code: 'ERR_SOCKET_CONNECT_TIMEOUT', syscall: 'getaddrinfo', timeout: 0.001 });
    expect(err.decidedAt).toBeGreaterThanOrEqual(before);
  });

  it('an abort during the lookup rejects with AbortError and connects nothing', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = server.address() as { port: number };
    const ac = new AbortController();
    const pending = connect({ engine, host: 'localhost', port, family: 4, timeout: 5000, signal: ac.signal });
    ac.abort(new Error('stop'));
    const err = await pending.catch((e) => e);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: { message: 'stop' } });
    // Nothing was connected: the next accept times out.
    await expect(server.accept({ timeout: 100 })).rejects.toMatchObject({ code: 'ERR_SOCKET_ACCEPT_TIMEOUT' });
    await server.close();
  });

  it("a user's lookup that never answers ends at the connect's timeout", async () => {
    const t0 = Date.now();
    const err = await connect({ engine, host: 'nowhere.test', port: 1, timeout: 150, lookup: () => {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(149);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
