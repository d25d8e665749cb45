// sock.info() is the kernel's view of the connection (TCP_INFO): driven
// from ESTABLISHED into CLOSE_WAIT by the peer's end(), with the queues and
// round-trip figures it reports along the way.
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, pair } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe.each(ENGINES)('info() (%s engine)', (engine) => {
  it.each(['tcp4', 'tcp6'] as const)('%s: ESTABLISHED, then CLOSE_WAIT once the peer has ended', async (transport) => {
    const p = await pair(transport, {}, engine);
    cleanups.push(p.close);
    const { client, peer } = p;
    const before = client.info();
    expect(before.state).toBe('ESTABLISHED');
    expect(peer.info().state).toBe('ESTABLISHED');
    if (process.platform === 'linux') {
      expect(before.rtt).toBeGreaterThanOrEqual(0);
      expect(before.rto).toBeGreaterThan(0);
      expect(before.retransmits).toBe(0);
      expect(before.unacked).toBe(0);
    }

    await peer.end();
    // The FIN has been processed once the read sees end of stream.
    expect(await client.read(10, { timeout: 5000 })).toBeNull();
    expect(client.info().state).toBe('CLOSE_WAIT');
    // Our ACK of its FIN may still be on its way back.
    expect(['FIN_WAIT1', 'FIN_WAIT2']).toContain(peer.info().state);
    // Half-closed: we can still send.
    await client.write('still here');
    expect((await peer.read(100, { timeout: 5000 }))?.toString()).toBe('still here');
  });

  it('reports bytes received and not yet read', async () => {
    const p = await pair('tcp4', {}, engine);
    cleanups.push(p.close);
    await p.peer.write(Buffer.alloc(100, 1)); // one segment on loopback
    expect((await p.client.read(1, { timeout: 5000 }))?.length).toBe(1);
    expect(p.client.info().receiveQueue).toBe(99);
  });
});
