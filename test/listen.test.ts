// listen(): binding, addresses, Unix path lifetime, errors, AbortSignal.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError, connect, listen, SocketError } from '../dist/index.js';
import { HAS_PROC, openFds, PROC_ONLY, tempDir } from './helpers.js';

describe('listen', () => {
  it('port 0 picks a free port; a second listener on it fails with EADDRINUSE', async () => {
    const a = await listen({ host: '127.0.0.1', port: 0 });
    const { port, address, family } = a.address() as { port: number; address: string; family: string };
    expect(port).toBeGreaterThan(0);
    expect({ address, family }).toEqual({ address: '127.0.0.1', family: 'IPv4' });
    const err = await listen({ host: '127.0.0.1', port }).catch((e) => e);
    expect(err).toBeInstanceOf(SocketError);
    expect(err).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    await a.close();
  });

  it('without a host it listens on every interface, reachable over IPv4 and IPv6', async () => {
    const s = await listen({ port: 0 });
    const { port } = s.address() as { port: number };
    for (const host of ['127.0.0.1', '::1']) {
      const accepted = s.accept({ timeout: 5000 });
      const c = await connect({ host, port, timeout: 5000 });
      await Promise.all([c.close(), (await accepted).close()]);
    }
    await s.close();
  });

  it('a Unix listener creates its path and close() removes it', async () => {
    const t = tempDir();
    const path = join(t.dir, 'l.sock');
    const s = await listen({ path });
    expect(s.address()).toEqual({ path });
    expect(existsSync(path)).toBe(true);
    await s.close();
    expect(existsSync(path)).toBe(false);
    t.cleanup();
  });

  it('an already-aborted signal rejects with AbortError; aborting later closes the server', async () => {
    const reason = new Error('no');
    await expect(listen({ host: '127.0.0.1', port: 0, signal: AbortSignal.abort(reason) })).rejects.toMatchObject({
      name: 'AbortError',
      cause: reason,
    });
    const ac = new AbortController();
    const s = await listen({ host: '127.0.0.1', port: 0, signal: ac.signal });
    const pending = s.accept({ timeout: 30_000 }).catch((e) => e);
    ac.abort();
    expect((await pending).code).toBe('ERR_SOCKET_CLOSED');
    expect(s.closed).toBe(true);
  });

  it.skipIf(!HAS_PROC)(`aborting a connect in flight rejects at once and releases its fd ${PROC_ONLY}`, async () => {
    // A listener whose accept queue is full keeps further connects in SYN_SENT.
    const s = await listen({ host: '127.0.0.1', port: 0, backlog: 0 });
    const { port } = s.address() as { port: number };
    const held = [];
    for (let i = 0; i < 16; i++) {
      const c = await connect({ host: '127.0.0.1', port, timeout: 100 }).catch((e) => e);
      if (c instanceof Error) break;
      held.push(c);
    }
    const before = openFds();
    const ac = new AbortController();
    const pending = connect({ host: '127.0.0.1', port, timeout: 30_000, signal: ac.signal }).catch((e) => e);
    const t0 = Date.now();
    ac.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(1000);
    // The abandoned connect's socket was closed (its thread left it) before it rejected.
    expect(openFds()).toBe(before);
    await Promise.all(held.map((h) => h.close()));
    await s.close();
  });
});
