// close(): idempotent, wakes pending reads/writes/accepts at once with
// SocketClosedError, releases the fd only after the last in-flight call,
// and a collected socket is closed too.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SocketClosedError } from '../dist/index.js';
import { CASES, ENGINES, HAS_PROC, openFds, pair, PROC_ONLY, pattern, TRANSPORTS } from './helpers.js';
import { blockedIn } from './kernel-wait.js';

// Pending calls are woken by shutdown(2), not by their timeouts (30 s here):
// they settle within milliseconds. 1 s is a wide bound for a loaded machine.
const WAKE_BOUND_MS = 1000;

describe.each(CASES)('close over %s, %s engine', (transport, engine) => {
  it.skipIf(!HAS_PROC)(`wakes a pending read at once with SocketClosedError ${PROC_ONLY}`, async () => {
    const p = await pair(transport, {}, engine);
    const pending = p.peer.read(10, { timeout: 30_000 }).catch((e) => e);
    // 'threads': closed while blocked in recv, which shutdown(2) ends with 0
    // bytes: the read must still report closed, not end of stream. 'loop'
    // has no thread in recv: the read waits on the event loop from the call.
    if (engine === 'threads') await blockedIn('recvfrom', p.peer.fd);
    const t0 = Date.now();
    await p.peer.close();
    const err = await pending;
    expect(err).toBeInstanceOf(SocketClosedError);
    expect(err).toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    expect(Date.now() - t0).toBeLessThan(WAKE_BOUND_MS);
    await p.close();
  });

  it('wakes a pending write at once with SocketClosedError', async () => {
    const p = await pair(transport, {}, engine);
    const pending = p.client.write(pattern(64 << 20), { timeout: 30_000 }).catch((e) => e);
    const queued = p.client.write('queued behind it').catch((e) => e);
    const t0 = Date.now();
    await p.client.close();
    expect(await pending).toBeInstanceOf(SocketClosedError);
    expect(await queued).toBeInstanceOf(SocketClosedError);
    expect(Date.now() - t0).toBeLessThan(WAKE_BOUND_MS);
    await p.close();
  });

  it('is idempotent, and every later operation rejects with SocketClosedError', async () => {
    const p = await pair(transport, {}, engine);
    const first = p.client.close();
    const second = p.client.close();
    expect(second).toBe(first);
    await Promise.all([first, second, p.client.close()]);
    expect(p.client.closed).toBe(true);
    for (const op of [() => p.client.read(), () => p.client.readExactly(1), () => p.client.write('x'), () => p.client.end()]) {
      await expect(op()).rejects.toBeInstanceOf(SocketClosedError);
    }
    expect(() => p.client.address()).toThrow(SocketClosedError);
    await p.close();
  });
});

describe.each(ENGINES)('fd lifetime (%s engine)', (engine) => {
  it.skipIf(!HAS_PROC)(
    `close() resolves once the fd is closed, and the fd count returns to its baseline ${PROC_ONLY}`,
    async () => {
      const before = openFds();
      for (let i = 0; i < 20; i++) {
        const p = await pair(TRANSPORTS[i % 3]!, {}, engine);
        const pending = [p.peer.read(10, { timeout: 30_000 }).catch(() => {}), p.client.read(10).catch(() => {})];
        await p.close();
        await Promise.all(pending);
      }
      expect(openFds()).toBe(before);
    },
  );

  it('the peer sees end of stream after a graceful close', async () => {
    const p = await pair('tcp4', {}, engine);
    await p.client.write('last words');
    await p.client.close();
    expect((await p.peer.read())!.toString()).toBe('last words');
    expect(await p.peer.read()).toBeNull();
    await p.close();
  });

  it.skipIf(!HAS_PROC)(`a socket dropped without close() is closed when collected ${PROC_ONLY}`, () => {
    const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, 'fixtures', 'gc-closes.js')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ closedByGc: true });
    expect(r.status).toBe(0);
  });

  it('a socket dropped with a read pending is kept until the read settles, and the read gets its bytes', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, 'fixtures', 'gc-pending.js'), engine], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ got: 'after gc' });
    expect(r.status).toBe(0);
  });

  it('sockets and a listener that waited for an op are closed when collected', () => {
    // Each waited (the loop engine: on its watcher) before being dropped;
    // the node:net peers see end of stream and a refused connection.
    const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, 'fixtures', 'gc-closes-polled.js'), engine], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ clientEnded: true, acceptedEnded: true, listenerClosed: true });
    expect(r.status).toBe(0);
  });
});
