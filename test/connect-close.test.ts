// A connect that fails or is aborted rejects only once its socket is closed:
// a caller that counts its fds (or an fd limit) sees none left behind when
// the rejection comes. Neither engine closes at once: the loop engine closes
// the fd in libuv's close callback, later in the loop turn, and on threads
// the woken connect thread closes it as it leaves. (net.Socket has no
// promise to compare: its 'error' comes before the fd closes, 'close' after.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  connect,
  ConnectTimeoutError,
  type KernelServer,
  type KernelSocket,
  listen,
  SocketError,
} from '../dist/index.js';
import { fdsOpenedSince, fdTable } from './fd-table.js';
import { ENGINES, HAS_PROC, PROC_ONLY } from './helpers.js';
import { addon } from './stress-helpers.js';

const TRIALS = 10;

/** Where in the loop's turn the abort comes: the close-race test aborts from each. */
const MOMENTS = {
  timer: () => new Promise<void>((resolve) => setTimeout(resolve, 1)),
  immediate: () => new Promise<void>((resolve) => setImmediate(resolve)),
  microtask: () => Promise.resolve(),
};

describe.skipIf(!HAS_PROC).each(ENGINES)(
  `a failed connect's socket is closed when it rejects (%s engine) ${PROC_ONLY}`,
  (engine) => {
    let stuck: KernelServer;
    let port: number;
    const held: KernelSocket[] = [];

    beforeAll(async () => {
      // Backlog 0, never accepted: once it is full, connects stay in SYN_SENT.
      stuck = await listen({ engine, host: '127.0.0.1', port: 0, backlog: 0 });
      port = (stuck.address() as { port: number }).port;
      for (let i = 0; i < 16; i++) {
        const c = await connect({ engine, host: '127.0.0.1', port, timeout: 100 }).catch((e: unknown) => e);
        if (c instanceof Error) break;
        held.push(c as KernelSocket);
      }
    });

    afterAll(async () => {
      await Promise.all(held.map((c) => c.close()));
      await stuck?.close();
    });

    for (const [moment, wait] of Object.entries(MOMENTS)) {
      it(`aborted in the kernel from a ${moment} callback`, async () => {
        for (let t = 0; t < TRIALS; t++) {
          const baseline = fdTable();
          const ac = new AbortController();
          const connecting = connect({ engine, host: '127.0.0.1', port, timeout: 0, signal: ac.signal }).catch((e: unknown) => e);
          await wait();
          ac.abort();
          const err = await connecting;
          expect(err).toBeInstanceOf(AbortError);
          expect(fdsOpenedSince(baseline), `trial ${t}: sockets open at the rejection`).toEqual([]);
          expect(addon.pending()).toBe(0);
        }
      });
    }

    it('timed out in the kernel (ConnectTimeoutError)', async () => {
      for (let t = 0; t < TRIALS; t++) {
        const baseline = fdTable();
        const err = await connect({ engine, host: '127.0.0.1', port, timeout: 5 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectTimeoutError);
        expect(fdsOpenedSince(baseline), `trial ${t}: sockets open at the rejection`).toEqual([]);
        expect(addon.pending()).toBe(0);
      }
    });

    it('refused (ECONNREFUSED)', async () => {
      const gone = await listen({ engine, host: '127.0.0.1', port: 0 });
      const free = (gone.address() as { port: number }).port;
      await gone.close();
      for (let t = 0; t < TRIALS; t++) {
        const baseline = fdTable();
        const err = await connect({ engine, host: '127.0.0.1', port: free, timeout: 5000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SocketError);
        expect((err as SocketError).code).toBe('ECONNREFUSED');
        expect(fdsOpenedSince(baseline), `trial ${t}: sockets open at the rejection`).toEqual([]);
      }
    });
  },
);
