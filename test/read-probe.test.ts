// A loop-engine read started after a write, when the read before it had to
// wait, skips its first non-blocking recv (native/loop_engine.cc
// ProbeWouldFail: in a request/response exchange the reply cannot be back
// yet) and waits for readiness at once. What that must not change: bytes
// already queued still reach it (from the loop, a turn later), and they
// still win over its deadline when the event loop is stalled past it. A
// read after a read (a length prefix, then its body) keeps its probe.
// Unix sockets: a peer's write puts its bytes in the client's receive
// queue before it returns, so "already queued" needs no waiting.
import { describe, expect, it } from 'vitest';
import type { KernelSocket } from '../dist/index.js';
import { pair } from './helpers.js';

const T = { timeout: 5000 };

/** Whether `promise` settles within a few microtask turns (an op settled in its call does). */
async function settlesInMicrotasks(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 10 && !settled; i++) await null;
  return settled;
}

/** One exchange whose read waits: afterwards the client's next read, after a write, skips its probe. */
async function exchange(client: KernelSocket, peer: KernelSocket): Promise<void> {
  await client.write(Buffer.from('q'), T);
  const reply = client.readExactly(1, T); // nothing queued: it waits
  await peer.readExactly(1, T);
  await peer.write(Buffer.from('r'), T);
  expect((await reply).toString()).toBe('r');
}

/**
 * A loop-engine pair after one exchange, with `queued` (if any) in the
 * client's receive queue and a write made: the client's next read skips its probe.
 */
async function readyToSkip(queued?: string): Promise<Awaited<ReturnType<typeof pair>>> {
  const p = await pair('unix', {}, 'loop');
  await exchange(p.client, p.peer);
  if (queued !== undefined) await p.peer.write(Buffer.from(queued), T);
  await p.client.write(Buffer.from('q'), T);
  return p;
}

describe('a read after a write, when the read before it waited (loop engine)', () => {
  it('gets bytes already queued, delivered from the loop rather than in its call', async () => {
    const p = await readyToSkip('ab');
    const skipped = p.client.readExactly(1, T);
    expect(await settlesInMicrotasks(skipped)).toBe(false);
    expect((await skipped).toString()).toBe('a');
    // A read after that read, with no write between, probes: done in its call.
    const probed = p.client.readExactly(1, T);
    expect(await settlesInMicrotasks(probed)).toBe(true);
    expect((await probed).toString()).toBe('b');
    await p.close();
  });

  it('gets bytes queued before its deadline even when the event loop is stalled past it', async () => {
    const p = await readyToSkip('z');
    const read = p.client.readExactly(1, { timeout: 30 });
    // Stall the loop well past the read's deadline: the deadline thread's
    // one non-blocking recv decides it, and the queued byte wins.
    const until = Date.now() + 150;
    while (Date.now() < until) {
      /* busy: the event loop does not run */
    }
    expect((await read).toString()).toBe('z');
    await p.close();
  });

  it('times out from its call, consuming nothing, when nothing comes', async () => {
    const p = await readyToSkip();
    const began = Date.now();
    const err = await p.client.readExactly(1, { timeout: 50 }).catch((e: unknown) => e);
    const took = Date.now() - began;
    expect(err).toMatchObject({ code: 'ERR_SOCKET_READ_TIMEOUT' });
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(2000);
    await p.peer.write(Buffer.from('y'), T);
    expect((await p.client.readExactly(1, T)).toString()).toBe('y');
    await p.close();
  });
});
