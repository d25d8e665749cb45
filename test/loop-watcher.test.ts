// The loop engine's uv_poll watcher after an error event: libuv stops the
// watcher itself on POLLERR (its status UV_EBADF), so the engine must not
// still count it as armed. A peer's RST is the error event here; the read
// attempt that would otherwise consume the error first is skipped by the
// test hook KTS_TEST_LOOP_WAIT_FIRST, in a child process. Without the fix
// the second read, with no timeout, waits forever.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe("engine 'loop': an error event on the watcher", () => {
  it('leaves the watcher re-armable: a later read with no timeout settles', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const connected = once(server, 'connection') as Promise<[Socket]>;
    const child = fork(join(__dirname, 'fixtures', 'loop-error-event.js'), {
      stdio: 'ignore',
      env: { ...process.env, KTS_TEST_LOOP_WAIT_FIRST: '1' },
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const reading = once(child, 'message');
      child.send({ port: (server.address() as { port: number }).port });
      const [peer] = await connected;
      await reading; // the first read waits on the loop
      const outcome = once(child, 'message');
      peer.resetAndDestroy(); // SO_LINGER 0 + close: RST, POLLERR on the child's socket
      const settled = await Promise.race([
        outcome.then(([m]) => m),
        new Promise((r) => setTimeout(() => r('hung: the second read never settled'), 5000)),
      ]);
      expect(settled).toEqual({ a: { error: 'ECONNRESET' }, b: { got: null } });
    } finally {
      clearTimeout(kill);
      child.kill('SIGKILL');
      server.close();
    }
  });
});
