// Socket deadlines reach pending operations (Go's "all future and pending
// I/O"), in both timer modes: moved earlier or into the past, a pending
// read, write or accept ends promptly with its timeout error, nothing
// consumed and nothing lost, the socket still usable; moved later, it waits
// longer; a queued op follows the change too. On both engines: on 'threads'
// each op is first seen blocked in the kernel (/proc), so the wake-up of a
// blocked call is what is tested; on 'loop' a read or accept waits on the
// event loop and its deadline thread decides.
import { describe, expect, it } from 'vitest';
import {
  AcceptTimeoutError,
  connect,
  type KernelSocket,
  ReadTimeoutError,
  type TimerMode,
  WriteTimeoutError,
} from '../dist/index.js';
import { ENGINES, type EngineName, HAS_PROC, PROC_ONLY, pattern, server } from './helpers.js';
import { blockedIn, type BlockingCall } from './kernel-wait.js';
import { MODE_TRANSPORTS as TRANSPORTS, MODES, nowMs, perTestCleanup } from './timer-modes.js';

// A woken call returns in microseconds; this only catches "not woken" (the
// op's own 30 s timeout) on a loaded machine.
const PROMPT_MS = 2000;
const { cleanups, openPair } = perTestCleanup();

/** The timer modes of an engine: 'loop' has only its deadline thread ('poll'). */
const timersOf = (engine: EngineName): TimerMode[] => (engine === 'loop' ? ['poll'] : MODES);

/**
 * For a socket of this engine and timer: resolves once the op just started
 * on fd waits where it waits. 'threads': an owned thread blocked in the call
 * ('sockopt') or in ppoll before it ('poll'). 'loop': a read or accept
 * waits on the event loop from the moment the call returns (its watcher and
 * deadline entry are set up inside it); a write bigger than the send buffer
 * keeps moving on an owned thread, in ppoll.
 */
const waiter =
  (engine: EngineName, timer: TimerMode) =>
  async (call: BlockingCall, fd: number): Promise<void> => {
    if (engine === 'loop') {
      if (call === 'sendto') await blockedIn('ppoll');
      return;
    }
    await blockedIn(timer === 'poll' ? 'ppoll' : call, fd);
  };

/** Reads from sock until n bytes came. */
async function readN(sock: KernelSocket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const b = await sock.read(Math.min(65536, n - got), { timeout: 10_000 });
    if (b === null) throw new Error(`end of stream after ${got} of ${n} bytes`);
    parts.push(b);
    got += b.length;
  }
  return Buffer.concat(parts);
}

describe.skipIf(!HAS_PROC).each(ENGINES)(`%s engine ${PROC_ONLY}`, (engine) => {
  describe.each(timersOf(engine))(`timer '%s'`, (timer) => {
    const waitIn = waiter(engine, timer);
    it.each(TRANSPORTS)('%s: a deadline moved into the past ends a blocked read; nothing is lost', async (transport) => {
      const { client, peer } = await openPair(transport, timer, engine);
      const t0 = nowMs();
      const pending = client.read(10, { timeout: 30_000 }).catch((e) => e);
      await waitIn('recvfrom', client.fd);
      client.setReadDeadline(Date.now() - 1);
      const err = await pending;
      expect(err).toBeInstanceOf(ReadTimeoutError);
      expect(err.code).toBe('ERR_SOCKET_READ_TIMEOUT');
      expect(nowMs() - t0).toBeLessThan(PROMPT_MS + 1000);
      // Still usable, nothing consumed: the next bytes go to the next read.
      client.setReadDeadline(null);
      await peer.write('after');
      expect((await client.read(10, { timeout: 5000 }))!.toString()).toBe('after');
    });

    it('a deadline moved earlier ends a blocked read at the new deadline', async () => {
      const { client } = await openPair('tcp4', timer, engine);
      const pending = client.read(10, { timeout: 30_000 }).catch((e) => e);
      await waitIn('recvfrom', client.fd);
      const t0 = nowMs();
      client.setReadDeadline(Date.now() + 150);
      const err = await pending;
      expect(err).toBeInstanceOf(ReadTimeoutError);
      // Not before the new deadline (the kernel decides), long before 30 s.
      expect(err.decidedAt - t0).toBeGreaterThanOrEqual(140);
      expect(err.decidedAt - t0).toBeLessThan(150 + PROMPT_MS);
    });

    it('a deadline moved later makes a blocked read wait longer', async () => {
      const { client } = await openPair('tcp4', timer, engine);
      const t0 = nowMs();
      client.setReadDeadline(Date.now() + 300);
      const pending = client.read(10, { timeout: 30_000 }).catch((e) => e);
      await waitIn('recvfrom', client.fd);
      client.setReadDeadline(Date.now() + 1200);
      const err = await pending;
      expect(err).toBeInstanceOf(ReadTimeoutError);
      // Past the first deadline (300 ms) by far: it followed the move.
      expect(err.decidedAt - t0).toBeGreaterThanOrEqual(1000);
      expect(err.decidedAt - t0).toBeLessThan(1200 + PROMPT_MS);
    });

    it('a per-call timeout still applies under a later deadline', async () => {
      const { client } = await openPair('tcp4', timer, engine);
      const t0 = nowMs();
      const pending = client.read(10, { timeout: 200 }).catch((e) => e);
      await waitIn('recvfrom', client.fd);
      client.setReadDeadline(Date.now() + 30_000);
      const err = await pending;
      expect(err).toBeInstanceOf(ReadTimeoutError);
      expect(err.decidedAt - t0).toBeLessThan(200 + PROMPT_MS);
    });

    it.each(TRANSPORTS)(
      '%s: a deadline moved into the past ends a blocked write; what was sent arrives whole',
      async (transport) => {
        const { client, peer } = await openPair(transport, timer, engine);
        const data = pattern(32 << 20);
        const t0 = nowMs();
        const pending = client.write(data, { timeout: 30_000 }).catch((e) => e);
        await waitIn('sendto', client.fd);
        client.setWriteDeadline(Date.now() - 1);
        const err = await pending;
        expect(err).toBeInstanceOf(WriteTimeoutError);
        expect(nowMs() - t0).toBeLessThan(PROMPT_MS + 1000);
        expect(err.bytesWritten).toBeGreaterThan(0);
        expect(err.bytesWritten).toBeLessThan(data.length);
        // Exactly the bytes it says were written arrive, in order; then the
        // socket still writes.
        client.setWriteDeadline(null);
        const tail = client.write('!', { timeout: 10_000 });
        const got = await readN(peer, err.bytesWritten + 1);
        await tail;
        expect(got.subarray(0, err.bytesWritten).equals(data.subarray(0, err.bytesWritten))).toBe(true);
        expect(got.subarray(err.bytesWritten).toString()).toBe('!');
      },
    );

    it.each(TRANSPORTS)(
      '%s: an accept deadline moved into the past ends a blocked accept; the server still accepts',
      async (transport) => {
        const s = await server(transport, { timer, engine });
        cleanups.push(s.cleanup);
        const t0 = nowMs();
        const pending = s.server.accept({ timeout: 30_000 }).catch((e) => e);
        await waitIn('accept4', s.server.fd);
        s.server.setAcceptDeadline(Date.now() - 1);
        const err = await pending;
        expect(err).toBeInstanceOf(AcceptTimeoutError);
        expect(nowMs() - t0).toBeLessThan(PROMPT_MS + 1000);
        // A passed accept deadline fails later accepts at once, without a syscall.
        await expect(s.server.accept({ timeout: 30_000 })).rejects.toBeInstanceOf(AcceptTimeoutError);
        s.server.setAcceptDeadline(null);
        const accepted = s.server.accept({ timeout: 10_000 });
        const c = await connect({ ...s.connectOptions, timeout: 10_000, engine });
        const a = await accepted;
        await Promise.all([c.close(), a.close()]);
      },
    );

    it('an accept deadline moved later makes a blocked accept wait longer', async () => {
      const s = await server('tcp4', { timer, engine });
      cleanups.push(s.cleanup);
      const t0 = nowMs();
      s.server.setAcceptDeadline(Date.now() + 300);
      const pending = s.server.accept({ timeout: 30_000 }).catch((e) => e);
      await waitIn('accept4', s.server.fd);
      s.server.setAcceptDeadline(new Date(Date.now() + 1200));
      const err = await pending;
      expect(err).toBeInstanceOf(AcceptTimeoutError);
      expect(err.decidedAt - t0).toBeGreaterThanOrEqual(1000);
    });

    it('a read queued behind another follows a deadline moved later', async () => {
      const { client, peer } = await openPair('tcp4', timer, engine);
      client.setReadDeadline(Date.now() + 300);
      // The first ends by its own 700 ms timeout (the kernel's clock), so the
      // second is still queued when the first deadline (300 ms) passes.
      const first = client.read(10, { timeout: 700 }).catch((e) => e);
      const second = client.read(10).catch((e) => e);
      await waitIn('recvfrom', client.fd);
      client.setReadDeadline(Date.now() + 30_000);
      expect(await first).toBeInstanceOf(ReadTimeoutError);
      // The second started after the old deadline and is still pending: its
      // bytes reach it.
      await waitIn('recvfrom', client.fd);
      await peer.write('b');
      expect((await second).toString()).toBe('b');
    });

    it('a read queued behind another follows a deadline moved earlier', async () => {
      const { client, peer } = await openPair('tcp4', timer, engine);
      const t0 = nowMs();
      const first = client.read(10, { timeout: 30_000 }).catch((e) => e);
      const second = client.read(10, { timeout: 30_000 }).catch((e) => e);
      await waitIn('recvfrom', client.fd);
      client.setReadDeadline(Date.now() - 1);
      expect(await first).toBeInstanceOf(ReadTimeoutError);
      expect(await second).toBeInstanceOf(ReadTimeoutError);
      expect(nowMs() - t0).toBeLessThan(PROMPT_MS + 1000);
      client.setReadDeadline(null);
      await peer.write('kept');
      expect((await client.read(10, { timeout: 5000 }))!.toString()).toBe('kept');
    });
  });
});

// Go's largest deadline (1<<63 - 1 ns from now) and the largest Date mean
// "not yet": conversions saturate instead of wrapping into the past.
const FAR: Array<[string, () => number | Date]> = [
  ['2**63/1e6 ms from now', () => Date.now() + 2 ** 63 / 1e6],
  ['new Date(8.64e15)', () => new Date(8.64e15)],
];

describe.skipIf(!HAS_PROC).each(ENGINES)(`far-future deadlines, %s engine ${PROC_ONLY}`, (engine) => {
  describe.each(timersOf(engine))(`timer '%s'`, (timer) => {
    const waitIn = waiter(engine, timer);
    it.each(FAR)('a read under a deadline %s waits for its bytes', async (_name, far) => {
      const { client, peer } = await openPair('tcp4', timer, engine);
      client.setReadDeadline(far());
      const pending = client.read(10);
      await waitIn('recvfrom', client.fd);
      await peer.write('late');
      expect((await pending)!.toString()).toBe('late');
    });

    it.each(FAR)('a write and an accept under a deadline %s go through', async (_name, far) => {
      const { client, peer } = await openPair('tcp4', timer, engine);
      client.setWriteDeadline(far());
      await client.write('w');
      expect((await peer.read(10, { timeout: 5000 }))!.toString()).toBe('w');
      const s = await server('tcp4', { timer, engine });
      cleanups.push(s.cleanup);
      s.server.setAcceptDeadline(far());
      const accepted = s.server.accept();
      await waitIn('accept4', s.server.fd);
      const c = await connect({ ...s.connectOptions, timeout: 10_000, engine });
      await Promise.all([c.close(), (await accepted).close()]);
    });

    it('a read queued under a deadline more than 2^31-1 ms away is not expired by its timer', async () => {
      const { client, peer } = await openPair('tcp4', timer, engine);
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        client.setReadDeadline(Date.now() + 2 ** 31 + 60_000);
        const first = client.read(10);
        const second = client.read(10).catch((e) => e);
        await waitIn('recvfrom', client.fd);
        // The scenario, not synchronization: let an overflowed setTimeout
        // (Node fires those after 1 ms) fire before the bytes come.
        await new Promise((r) => setTimeout(r, 20));
        await peer.write('a');
        expect((await first)!.toString()).toBe('a');
        await waitIn('recvfrom', client.fd);
        await peer.write('b');
        expect((await second).toString()).toBe('b');
        expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });
});
