// A thread that wakes after its deadline (the process was stopped, or the
// thread was scheduled late) must still take bytes that arrived in time:
// it asks the kernel once without waiting before calling it a timeout.
// Regression test for a spurious ReadTimeoutError the benchmark's deadline
// race found (nothing was lost: the next read got the bytes).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAS_PROC, PROC_ONLY } from './helpers.js';
import { stopped } from './kernel-wait.js';

describe('a reader stopped across its deadline', () => {
  it.skipIf(!HAS_PROC)(`returns the bytes that arrived while it was stopped ${PROC_ONLY}`, async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const connected = once(server, 'connection') as Promise<[Socket]>;
    const child = fork(join(__dirname, 'fixtures', 'stopped-reader.js'), { stdio: 'ignore' });
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      child.send({ port: (server.address() as { port: number }).port });
      const [peer] = await connected;
      const [started] = (await once(child, 'message')) as [{ calledAt: number }];
      process.kill(child.pid!, 'SIGSTOP');
      // Every thread of the child, the reader's included, is stopped (state
      // T) before the bytes are sent: otherwise a still-running reader takes
      // them in time and the test passes without the late look.
      await stopped(child.pid!);
      peer.write('hello'); // arrives while the reader is stopped, before its deadline
      // The scenario, not synchronization: keep it stopped until well past
      // its 100 ms deadline.
      const past = started.calledAt + 300 - Date.now();
      if (past > 0) await new Promise((r) => setTimeout(r, past));
      process.kill(child.pid!, 'SIGCONT');
      const [outcome] = await once(child, 'message');
      expect(outcome).toEqual({ got: 'hello' });
      peer.destroy();
    } finally {
      clearTimeout(kill);
      child.kill('SIGKILL');
      server.close();
    }
  });
});
