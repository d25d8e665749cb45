// SO_LINGER: a socket closes gracefully by default (the peer reads end of
// stream); with linger 0 close() resets the connection (the peer's read
// rejects with ECONNRESET), also when an operation is pending at close.
import { afterEach, describe, expect, it } from 'vitest';
import { type KernelSocket, SocketClosedError, SocketError } from '../dist/index.js';
import { ENGINES, pair, type EngineName } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function openPair(engine: EngineName, options: Record<string, unknown> = {}) {
  const p = await pair('tcp4', options, engine);
  cleanups.push(p.close);
  return p;
}

async function expectReset(peer: KernelSocket) {
  const err = await peer.read(100, { timeout: 5000 }).catch((e) => e);
  expect(err).toBeInstanceOf(SocketError);
  expect(err.code).toBe('ECONNRESET');
}

describe.each(ENGINES)('SO_LINGER (%s engine)', (engine) => {
  it('default close is graceful: the peer reads end of stream', async () => {
    const { client, peer } = await openPair(engine);
    expect(client.tcpOptions().linger).toBeNull();
    await client.write('last words');
    await client.close();
    expect((await peer.read(100, { timeout: 5000 }))?.toString()).toBe('last words');
    expect(await peer.read(100, { timeout: 5000 })).toBeNull();
  });

  it('setLinger(0): close sends RST and the peer read rejects with ECONNRESET', async () => {
    const { client, peer } = await openPair(engine);
    client.setLinger(0);
    expect(client.tcpOptions().linger).toBe(0);
    await client.close();
    await expectReset(peer);
  });

  it('connect({ linger: 0 }) resets on close', async () => {
    const { client, peer } = await openPair(engine, { linger: 0 });
    await client.close();
    await expectReset(peer);
  });

  // Linux paths only: there close disconnects a linger-0 socket (RST at
  // once). The portable path macOS takes (KTS_PORTABLE builds on Linux too)
  // wakes pending ops with shutdown first, which sends FIN before the RST.
  const linuxPaths = process.platform === 'linux' && !process.env.KTS_PORTABLE;
  // The loop engine has only the 'poll' timer (its deadline thread).
  const timers = engine === 'loop' ? (['poll'] as const) : (['sockopt', 'poll'] as const);
  it.skipIf(!linuxPaths).each(timers)("linger 0 resets even with a read pending at close (timer '%s')", async (timer) => {
    const { client, peer } = await openPair(engine, { linger: 0, timer });
    const pending = client.read(10, { timeout: 30_000 }).catch((e) => e);
    await client.close();
    expect(await pending).toBeInstanceOf(SocketClosedError);
    await expectReset(peer);
  });

  it('setLinger(null) restores graceful close', async () => {
    const { client, peer } = await openPair(engine, { linger: 0 });
    client.setLinger(null);
    expect(client.tcpOptions().linger).toBeNull();
    await client.close();
    expect(await peer.read(100, { timeout: 5000 })).toBeNull();
  });

  it('rejects a linger time other than 0 or null', async () => {
    const { client } = await openPair(engine);
    expect(() => client.setLinger(5 as 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
