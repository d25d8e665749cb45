// An op queued behind another op of its lane gets its timeout from the
// addon (native/queue_watch.h), never from a JavaScript timer: at its
// deadline it times out only when nothing is in the kernel or the stash for
// it and the op ahead is not handing the lane over. So bytes that arrived in
// time reach it even when the event loop is blocked past its deadline or
// the op ahead is slow to hand over, and with nothing arriving its timeout
// is decided at its deadline, not when the event loop comes back. Both
// engines; both timer modes where the engine has them.
import { describe, expect, it } from 'vitest';
import { ReadTimeoutError, type TimerMode } from '../dist/index.js';
import { ENGINES, type EngineName, pattern } from './helpers.js';
import { fixture, runChild } from './stress-helpers.js';
import { MODES, nowMs, perTestCleanup } from './timer-modes.js';

const { openPair } = perTestCleanup();
/** 'loop' has only its deadline thread ('poll'). */
const timersOf = (engine: EngineName): TimerMode[] => (engine === 'loop' ? ['poll'] : MODES);
/** Wide: a deadline thread short of CPU on a loaded 2-core machine is late. */
const LATE_MS = 700;
const STALL_MS = 1500;

/** Blocks this thread's event loop (no timer, no I/O callback runs) for ms. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const CASES = ENGINES.flatMap((e) => timersOf(e).map((t): [EngineName, TimerMode] => [e, t]));

describe.each(CASES)('a queued op, %s engine, timer %s', (engine, timer) => {
  it('gets bytes that came before its deadline while the event loop was blocked past it', async () => {
    const { client, peer } = await openPair('tcp4', timer, engine);
    const head = client.read(100);
    const queued = client.read(100, { timeout: 150 });
    const sent = pattern(200);
    // In the kernel before this call returns (a non-blocking send on the
    // JS thread), long before the queued read's deadline.
    const wrote = peer.write(sent);
    stall(600);
    await wrote;
    expect(await head).toEqual(sent.subarray(0, 100));
    expect(await queued).toEqual(sent.subarray(100));
  });

  it('with nothing arriving, times out at its deadline even while the event loop is blocked', async () => {
    const { client, peer } = await openPair('tcp4', timer, engine);
    const head = client.read(10);
    const t0 = nowMs();
    const queued = client.read(10, { timeout: 150 }).catch((e) => e);
    stall(STALL_MS);
    const err = await queued;
    expect(err).toBeInstanceOf(ReadTimeoutError);
    // Decided by the addon at the deadline, not when the loop came back.
    expect(err.decidedAt - t0).toBeGreaterThanOrEqual(145);
    expect(err.decidedAt - t0).toBeLessThan(150 + LATE_MS);
    expect(err.bytesRead).toBe(0);
    // It took nothing: the op ahead gets the next bytes, and the stream
    // goes on in order.
    await peer.write('ab');
    expect((await head)!.toString()).toBe('ab');
    await peer.write('cd');
    expect((await client.read(10, { timeout: 5000 }))!.toString()).toBe('cd');
  });

  it('with nothing arriving and the event loop free, times out near its deadline', async () => {
    const { client, peer } = await openPair('tcp4', timer, engine);
    const head = client.read(10);
    const t0 = nowMs();
    const err = await client.read(10, { timeout: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect(err.decidedAt - t0).toBeGreaterThanOrEqual(145);
    expect(nowMs() - t0).toBeLessThan(150 + LATE_MS);
    await peer.write('x');
    expect((await head)!.toString()).toBe('x');
  });

  it('follows a socket deadline moved later while it is queued, the event loop blocked past the old one', async () => {
    const { client, peer } = await openPair('tcp4', timer, engine);
    client.setReadDeadline(Date.now() + 150);
    const head = client.read(10);
    const queued = client.read(10);
    client.setReadDeadline(Date.now() + 30_000);
    stall(600);
    await peer.write('a');
    expect((await head)!.toString()).toBe('a');
    await peer.write('b');
    expect((await queued)!.toString()).toBe('b');
  });

  it('follows a socket deadline moved earlier while it is queued', async () => {
    const { client, peer } = await openPair('tcp4', timer, engine);
    const head = client.read(10).catch((e) => e);
    const t0 = nowMs();
    const queued = client.read(10).catch((e) => e);
    client.setReadDeadline(Date.now() + 150);
    expect(await head).toBeInstanceOf(ReadTimeoutError);
    const err = await queued;
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect(err.decidedAt - t0).toBeGreaterThanOrEqual(140);
    expect(err.decidedAt - t0).toBeLessThan(150 + LATE_MS);
    client.setReadDeadline(null);
    await peer.write('kept');
    expect((await client.read(10, { timeout: 5000 }))!.toString()).toBe('kept');
  });

  it('gets its bytes when its deadline passes while the op ahead hands the lane over (test hook)', async () => {
    const r = await runChild(process.execPath, [fixture('queued-handoff.js')], 15_000, undefined, {
      KTS_TEST_ENGINE: engine,
      KTS_TEST_TIMER: timer,
      KTS_TEST_HOLD_HANDOFF: '1',
    });
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('head 100, queued 100\n');
    expect(r.code).toBe(0);
  });
});
