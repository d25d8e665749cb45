// AbortSignal: aborted before = no syscall; aborted during = rejects at once,
// and bytes the kernel delivers anyway go to the next read.
import { describe, expect, it } from 'vitest';
import { AbortError, TimeoutError, type TimerMode } from '../dist/index.js';
import { ENGINES, type EngineName, pair, server } from './helpers.js';
import { allRead } from './kernel-wait.js';

describe.each(ENGINES)('AbortSignal (%s engine)', (engine) => {
  it('an already-aborted read rejects with AbortError and leaves the data for the next read', async () => {
    const p = await pair('tcp4', {}, engine);
    await p.client.write('still here');
    const reason = new Error('why');
    const err = await p.peer.read(100, { signal: AbortSignal.abort(reason) }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
    expect((await p.peer.read(100, { timeout: 5000 }))!.toString()).toBe('still here');
    await p.close();
  });

  it('aborting a pending read rejects at once; bytes arriving later go to the next read', async () => {
    const p = await pair('tcp4', {}, engine);
    const ac = new AbortController();
    const pending = p.peer.read(100, { timeout: 30_000, signal: ac.signal }).catch((e) => e);
    const t0 = Date.now();
    ac.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(1000);
    // The aborted read is still in the kernel; the next read queues behind it.
    const next = p.peer.read(100, { timeout: 30_000 });
    await p.client.write('not lost');
    expect((await next)!.toString()).toBe('not lost');
    await p.close();
  });

  it('aborting a queued read removes it; reads around it are unaffected', async () => {
    const p = await pair('tcp4', {}, engine);
    const ac = new AbortController();
    const first = p.peer.readExactly(3, { timeout: 30_000 });
    const second = p.peer.readExactly(3, { timeout: 30_000, signal: ac.signal }).catch((e) => e);
    const third = p.peer.readExactly(3, { timeout: 30_000 });
    ac.abort();
    expect(await second).toBeInstanceOf(AbortError);
    await p.client.write('abcdef');
    expect((await first).toString()).toBe('abc');
    expect((await third).toString()).toBe('def');
    await p.close();
  });

  it('aborting a pending accept rejects at once; the connection goes to the next accept', async () => {
    const s = await server('tcp4', { engine });
    const ac = new AbortController();
    const pending = s.server.accept({ timeout: 30_000, signal: ac.signal }).catch((e) => e);
    ac.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    const { connect } = await import('../dist/index.js');
    const c = await connect({ engine, ...s.connectOptions, timeout: 5000 });
    const peer = await s.server.accept({ timeout: 5000 });
    await c.write('x');
    expect((await peer.read())!.toString()).toBe('x');
    await Promise.all([c.close(), peer.close()]);
    await s.cleanup();
  });

  it('aborting a pending write rejects at once', async () => {
    const p = await pair('tcp4', {}, engine);
    const ac = new AbortController();
    const pending = p.client.write(Buffer.alloc(64 << 20), { timeout: 30_000, signal: ac.signal }).catch((e) => e);
    ac.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(AbortError);
    expect(err).not.toBeInstanceOf(TimeoutError);
    await p.close();
  });
});

// The loop engine continues a partly read readExactly on a thread in 'poll'.
const LANE_CASES: [EngineName, TimerMode][] = [
  ['threads', 'sockopt'],
  ['threads', 'poll'],
  ['loop', 'poll'],
];

describe.each(LANE_CASES)('an aborted readExactly frees the read lane (%s engine, %s timer)', (engine, timer) => {
  it('the next read gets the bytes it had taken at once, then the rest, in order', async () => {
    const p = await pair('tcp4', { timer }, engine);
    const ac = new AbortController();
    const pending = p.client.readExactly(1000, { timeout: 30_000, signal: ac.signal }).catch((e) => e);
    await p.peer.write('0123456789');
    // The aborted read has taken the 10 bytes from the kernel.
    await allRead((p.client.address() as { port: number }).port);
    ac.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    // Not queued behind the aborted read until 990 more bytes come.
    expect((await p.client.read(100, { timeout: 1000 }))!.toString()).toBe('0123456789');
    await p.peer.write('rest');
    expect((await p.client.read(100, { timeout: 5000 }))!.toString()).toBe('rest');
    await p.close();
  });
});
