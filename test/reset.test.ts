// resetAndDestroy(): RST to the peer, as net.Socket's. The peer is a node:net
// socket reading on the server side; what it sees after each kind of client
// calls resetAndDestroy() is compared, in the same run, with what it sees
// after a net.Socket does the same, and after a graceful close (FIN: 'end').
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createConnection, listen } from '../dist/index.js';
import { ENGINES, tempDir } from './helpers.js';

let server: net.Server;
let port = 0;
/** Each accepted peer's outcome: its error's code, or 'end' for a FIN. */
const outcomes: Array<Promise<string>> = [];

beforeAll(async () => {
  server = net.createServer((s) => {
    outcomes.push(
      new Promise((resolve) => {
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
        s.on('end', () => {
          resolve('end');
          s.end();
        });
        s.resume();
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Connects with `open`, waits for the peer to be accepted, runs `finish`, then returns what the peer saw. */
async function peerSees<T>(open: () => Promise<T>, finish: (c: T) => unknown): Promise<string> {
  const n = outcomes.length;
  const client = await open();
  for (let i = 0; i < 500 && outcomes.length === n; i++) await new Promise((r) => setImmediate(r));
  expect(outcomes.length).toBe(n + 1);
  await finish(client);
  return withTimeout(outcomes[n]!, 5000);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'no outcome'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'no outcome'>((r) => (timer = setTimeout(() => r('no outcome'), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const netSocket = async () => {
  const s = net.connect(port, '127.0.0.1');
  await once(s, 'connect');
  return s;
};

describe('resetAndDestroy beside net.Socket', () => {
  it('net.Socket: the peer sees ECONNRESET after resetAndDestroy, end after end()', async () => {
    expect(await peerSees(netSocket, (s) => s.resetAndDestroy())).toBe('ECONNRESET');
    expect(await peerSees(netSocket, (s) => s.end())).toBe('end');
  });

  describe.each(ENGINES)('%s engine', (engine) => {
    const kernelSocket = () => connect({ host: '127.0.0.1', port, engine, timeout: 5000 });
    const stream = async () => {
      const s = createConnection({ host: '127.0.0.1', port, engine });
      await once(s, 'connect');
      return s;
    };

    it('KernelSocket: the peer sees what net gives it (ECONNRESET), and end after close()', async () => {
      const netSees = await peerSees(netSocket, (s) => s.resetAndDestroy());
      expect(await peerSees(kernelSocket, (s) => s.resetAndDestroy())).toBe(netSees);
      expect(await peerSees(kernelSocket, (s) => s.close())).toBe('end');
    });

    it('KernelSocket: a pending read rejects with SocketClosedError; a second reset rejects', async () => {
      let sock: Awaited<ReturnType<typeof kernelSocket>> | undefined;
      const seen = await peerSees(kernelSocket, async (s) => {
        sock = s;
        const pending = s.read(10, { timeout: 30_000 }).catch((e) => e);
        await s.resetAndDestroy();
        expect(await pending).toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
      });
      expect(seen).toBe('ECONNRESET');
      await expect(sock!.resetAndDestroy()).rejects.toMatchObject({ code: 'ERR_SOCKET_CLOSED' });
    });

    it('the stream: the peer sees ECONNRESET, as from net.Socket; also when called while connecting', async () => {
      expect(await peerSees(stream, (s) => s.resetAndDestroy())).toBe('ECONNRESET');
      const early = async () => createConnection({ host: '127.0.0.1', port, engine }).resetAndDestroy();
      expect(await peerSees(early, () => {})).toBe('ECONNRESET');
    });

    it('a Unix socket throws ERR_INVALID_HANDLE_TYPE, as net does for a pipe', async () => {
      const t = tempDir();
      const path = join(t.dir, 'r.sock');
      const s = await listen({ path, engine });
      const accepted = s.accept({ timeout: 5000 });
      const c = await connect({ path, engine, timeout: 5000 });
      expect(() => c.resetAndDestroy()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HANDLE_TYPE' }));
      await Promise.all([c.close(), (await accepted).close(), s.close()]);
      t.cleanup();
    });
  });
});
