// new KernelSocketStream({ connectTimeout }): a client that calls
// stream.connect(port, host) itself (pg) still gets a kernel-timed connect,
// so its own JavaScript connect timer can stay off. A listener whose accept
// queue is full makes the kernel drop SYNs: the connect hangs until its own
// timeout, as in test/connect.test.ts.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConnectTimeoutError, KernelSocketStream, listen } from '../dist/index.js';
import { ENGINES, fillBacklog } from './helpers.js';

describe.each(ENGINES)('StreamOptions.connectTimeout (%s engine)', (engine) => {
  it("bounds a later connect(port, host) in the kernel; connect's own connectTimeout wins", async () => {
    const s = await listen({ engine, host: '127.0.0.1', port: 0, backlog: 1 });
    const { port } = s.address() as { port: number };
    const held = await fillBacklog(engine, '127.0.0.1', port);

    // Timed from before connect() is called: the timeout counts from the call.
    const errorOf = async (start: () => KernelSocketStream) => {
      const t0 = Date.now();
      const stream = start();
      const [err] = await Promise.race([
        once(stream, 'error'),
        new Promise<[string]>((r) => setTimeout(() => r(['still connecting after 5 s']), 5000).unref()),
      ]);
      stream.destroy();
      return { err, elapsed: Date.now() - t0 };
    };
    const inherited = await errorOf(() => new KernelSocketStream({ connectTimeout: 250 }).connect(port, '127.0.0.1'));
    expect(inherited.err).toBeInstanceOf(ConnectTimeoutError);
    expect(inherited.err).toMatchObject({ timeout: 250 });
    expect(inherited.elapsed).toBeGreaterThanOrEqual(249);
    const own = await errorOf(() =>
      new KernelSocketStream({ connectTimeout: 60_000 }).connect({ port, host: '127.0.0.1', engine, connectTimeout: 150 }),
    );
    expect(own.err).toMatchObject({ timeout: 150 });
    await Promise.all(held.map((h) => h.close()));
    await s.close();
  });
});
