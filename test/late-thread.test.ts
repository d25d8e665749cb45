// A thread that starts or wakes after its deadline (the process was stopped,
// the thread was scheduled late, or its read was queued behind another)
// must still take bytes that arrived in time: it asks the kernel once
// without waiting before calling it a timeout. On every engine and in both
// timer modes: the look belongs to the op driver, not to one wait.
// Regression test for a spurious ReadTimeoutError the benchmark's deadline
// race found (nothing was lost: the next read got the bytes), and for the
// same fault in timer 'poll' and the loop engine's thread continuations.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_PROC, PROC_ONLY } from './helpers.js';
import { stopped } from './kernel-wait.js';

const VARIANTS = [
  { engine: 'threads', timer: 'sockopt' },
  { engine: 'threads', timer: 'poll' },
  { engine: 'loop', timer: 'poll' },
] as const;

const until = async (at: number) => {
  // The scenario, not synchronization: keep the child stopped until then.
  const left = at - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

// A loopback server and a child running `fixture` connected to it.
async function start(fixture: string, variant: (typeof VARIANTS)[number]) {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const connected = once(server, 'connection') as Promise<[Socket]>;
  const child: ChildProcess = fork(join(__dirname, 'fixtures', fixture), { stdio: 'ignore' });
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  cleanups.push(() => {
    clearTimeout(kill);
    child.kill('SIGKILL');
    server.close();
  });
  const message = () => once(child, 'message').then(([m]) => m as Record<string, unknown>);
  const first = message();
  child.send({ port: (server.address() as { port: number }).port, ...variant });
  const [peer] = await connected;
  cleanups.push(() => peer.destroy());
  return { child, peer, first, message };
}

// Stops every thread of the child (state T) before the peer writes, so no
// owned thread can take the bytes in time and the late look is what counts.
async function stopAndWrite(child: ChildProcess, peer: Socket, bytes: string): Promise<number> {
  process.kill(child.pid!, 'SIGSTOP');
  await stopped(child.pid!);
  await new Promise<void>((r) => peer.write(bytes, () => r()));
  return Date.now();
}

describe.each(VARIANTS)('engine $engine, timer $timer', (variant) => {
  it.skipIf(!HAS_PROC)(
    `a reader stopped across its deadline returns the bytes that arrived while it was stopped ${PROC_ONLY}`,
    async () => {
      const { child, peer, first, message } = await start('stopped-reader.js', variant);
      const { calledAt } = (await first) as { calledAt: number };
      // The read has 500 ms: the IPC message, the stop and the write took up
      // to 46 ms here under load, so a 100 ms window was too tight to be
      // sure the bytes came in time.
      const writtenAt = await stopAndWrite(child, peer, 'hello');
      expect(writtenAt - calledAt, 'the bytes must arrive before the read’s deadline').toBeLessThan(450);
      await until(calledAt + 800);
      const outcome = message();
      process.kill(child.pid!, 'SIGCONT');
      expect(await outcome).toEqual({ got: 'hello' });
    },
  );

  it.skipIf(!HAS_PROC)(
    `a read queued behind another, started by its thread after its deadline, returns the bytes that came in time ${PROC_ONLY}`,
    async () => {
      const { child, peer, first, message } = await start('late-queued-reader.js', variant);
      await first; // connected
      await new Promise<void>((r) => peer.write('x', () => r())); // in the child's receive queue now
      const called = message();
      child.send({ go: true });
      const { calledAt } = (await called) as { calledAt: number };
      // A has 'x' and waits for its second byte; B (500 ms) is queued behind
      // it. 'y' for A and 'b' for B arrive together while the child is
      // stopped, before B's deadline; it runs again after that deadline, when
      // its JavaScript thread is still busy (no timer can settle B).
      const writtenAt = await stopAndWrite(child, peer, 'yb');
      expect(writtenAt - calledAt, 'the bytes must arrive before B’s deadline').toBeLessThan(450);
      await until(calledAt + 800);
      const outcome = message();
      process.kill(child.pid!, 'SIGCONT');
      expect(await outcome).toEqual({ a: { got: 'xy' }, b: { got: 'b' } });
    },
  );
});
