// connect(): TCP over IPv4 and IPv6, names through Node's dns, Unix paths,
// and every failure typed: refused, timed out in the kernel, aborted.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError, connect, ConnectTimeoutError, listen, SocketError, TimeoutError } from '../dist/index.js';
import { ENGINES, server, tempDir } from './helpers.js';

describe.each(ENGINES)('connect (%s engine)', (engine) => {
  it('reaches 127.0.0.1, ::1 and a Unix path, and both ends see each other', async () => {
    for (const transport of ['tcp4', 'tcp6', 'unix'] as const) {
      const s = await server(transport, { engine });
      const accepted = s.server.accept({ timeout: 5000 });
      const c = await connect({ engine, ...s.connectOptions, timeout: 5000 });
      const peer = await accepted;
      if (transport === 'unix') {
        expect(c.remoteAddress()).toEqual({ path: s.connectOptions.path });
      } else {
        expect(c.remoteAddress()).toMatchObject({ port: s.connectOptions.port, family: transport === 'tcp4' ? 'IPv4' : 'IPv6' });
        expect(peer.remoteAddress()).toEqual(c.address());
      }
      await Promise.all([c.close(), peer.close()]);
      await s.cleanup();
    }
  });

  it('resolves host names with dns.lookup', async () => {
    const s = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = s.address() as { port: number };
    const accepted = s.accept({ timeout: 5000 });
    const c = await connect({ engine, host: 'localhost', port, family: 4, timeout: 5000 });
    expect(c.remoteAddress()).toMatchObject({ address: '127.0.0.1', port });
    await Promise.all([c.close(), (await accepted).close(), s.close()]);
  });

  it('a refused connect is a SocketError with ECONNREFUSED', async () => {
    // A port that was free a moment ago, now closed: nothing listens there.
    const s = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = s.address() as { port: number };
    await s.close();
    const err = await connect({ engine, host: '127.0.0.1', port, timeout: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(SocketError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    expect(err).not.toBeInstanceOf(TimeoutError);
  });

  it('a missing Unix path is a SocketError with ENOENT', async () => {
    const t = tempDir();
    const err = await connect({ engine, path: join(t.dir, 'nobody.sock') }).catch((e) => e);
    expect(err).toBeInstanceOf(SocketError);
    expect(err.code).toBe('ENOENT');
    t.cleanup();
  });

  it('a TCP listener whose backlog is full makes connect time out in the kernel (ConnectTimeoutError)', async () => {
    // Our listener never accepts unless asked. Once its accept queue is
    // full the kernel drops further SYNs, so a connect stays in SYN_SENT
    // until its own timeout, which poll(2) enforces in the kernel.
    const s = await listen({ engine, host: '127.0.0.1', port: 0, backlog: 1 });
    const { port } = s.address() as { port: number };
    const held = [];
    let err: unknown;
    let elapsed = 0;
    for (let i = 0; i < 16 && err === undefined; i++) {
      const t0 = Date.now();
      const attempt = await connect({ engine, host: '127.0.0.1', port, timeout: 200 }).catch((e) => e);
      if (attempt instanceof ConnectTimeoutError) {
        err = attempt;
        elapsed = Date.now() - t0;
      } else if (attempt instanceof Error) throw attempt;
      else held.push(attempt);
    }
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ERR_SOCKET_CONNECT_TIMEOUT', errno: -115, syscall: 'connect', timeout: 200 });
    expect(elapsed).toBeGreaterThanOrEqual(199);
    await Promise.all(held.map((h) => h.close()));
    await s.close();
  });

  it('a Unix listener with a full backlog times out with ConnectTimeoutError (EAGAIN)', async () => {
    const t = tempDir();
    const path = join(t.dir, 'full.sock');
    const s = await listen({ engine, path, backlog: 0 });
    const held = [];
    let err: unknown;
    for (let i = 0; i < 16 && err === undefined; i++) {
      const attempt = await connect({ engine, path, timeout: 100 }).catch((e) => e);
      if (attempt instanceof ConnectTimeoutError) err = attempt;
      else if (attempt instanceof Error) throw attempt;
      else held.push(attempt);
    }
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    expect(err).toMatchObject({ code: 'ERR_SOCKET_CONNECT_TIMEOUT', errno: -11, syscall: 'connect' });
    await Promise.all(held.map((h) => h.close()));
    await s.close();
    t.cleanup();
  });

  it('an already-aborted signal rejects with AbortError before any connection is made', async () => {
    const s = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = s.address() as { port: number };
    const reason = new Error('stop');
    const err = await connect({ engine, host: '127.0.0.1', port, signal: AbortSignal.abort(reason) }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
    // Nothing reached the listener: an accept with a short timeout finds no one.
    const accepted = await s.accept({ timeout: 50 }).catch((e) => e);
    expect(accepted).toBeInstanceOf(TimeoutError);
    await s.close();
  });
});
