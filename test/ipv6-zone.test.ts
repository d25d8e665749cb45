// IPv6 zones (scope ids) given by interface name, beside node:net in the
// same run: `::1%<loopback>` connects and listens; a link-local address on
// the loopback interface fails as net's does (the zone was resolved: the
// kernel looked for a route on that interface), and an unknown interface
// name gives net's error too.
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { connect, listen } from '../dist/index.js';
import { ENGINES } from './helpers.js';

/** The loopback interface's name (Linux: 'lo'), found by its ::1 address. */
const loopback = Object.entries(networkInterfaces()).find(([, addrs]) =>
  addrs?.some((a) => a.internal && a.family === 'IPv6' && a.address === '::1'),
)?.[0];

const code = (e: unknown) => (e as { code?: string }).code;

function netConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on('connect', () => {
      s.destroy();
      resolve('ok');
    });
    s.on('error', (e) => resolve(code(e) ?? String(e)));
  });
}

function netListen(host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.on('error', (e) => resolve(code(e) ?? String(e)));
    s.listen(0, host, () => s.close(() => resolve('ok')));
  });
}

describe.each(ENGINES)('IPv6 zone by interface name (%s engine)', (engine) => {
  it.skipIf(loopback === undefined)(
    'connects and listens with the zone given by name, as net does (needs ::1 on a loopback interface)',
    async () => {
      const zoned = `::1%${loopback}`;
      const server = await listen({ host: zoned, port: 0, engine });
      const port = (server.address() as { port: number }).port;
      const accepted = server.accept({ timeout: 5000 });
      const [client, peer] = await Promise.all([connect({ host: zoned, port, timeout: 5000, engine }), accepted]);
      await client.write('zoned', { timeout: 5000 });
      expect((await peer.readExactly(5, { timeout: 5000 })).toString()).toBe('zoned');
      expect(await netConnect(zoned, port)).toBe('ok');
      expect(await netListen(zoned)).toBe('ok');
      await Promise.all([client.close(), peer.close()]);
      await server.close();
    },
  );

  it.skipIf(loopback === undefined)('a link-local address fails as net fails: named zone, unknown name', async () => {
    for (const host of [`fe80::1%${loopback}`, 'fe80::1%no-such-if0']) {
      const ours = await connect({ host, port: 9, timeout: 5000, engine }).then(
        async (s) => {
          await s.close();
          return 'ok';
        },
        (e) => code(e),
      );
      expect(ours, `connect ${host}`).toBe(await netConnect(host, 9));
      const ourListen = await listen({ host, port: 0, engine }).then(
        async (s) => {
          await s.close();
          return 'ok';
        },
        (e) => code(e),
      );
      expect(ourListen, `listen ${host}`).toBe(await netListen(host));
    }
  });
});
