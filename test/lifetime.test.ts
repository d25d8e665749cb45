// Process and Worker lifetimes, each in a child process with a kill timer:
// a process exits on its own when nothing is pending and stays alive while a
// read is; process.exit() with reads, writes and accepts pending exits at
// once without a crash; a Worker terminated mid-read takes its sockets and
// threads with it; a socket's cell outliving the socket throws; the addon
// loads in several Workers at once.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, HAS_PROC, PROC_ONLY } from './helpers.js';
import { fixture, runChild, seeded } from './stress-helpers.js';

const KILL_MS = 15_000;

describe.each(ENGINES)('lifetimes (%s engine)', (engine) => {
  const env = { KTS_TEST_ENGINE: engine };
  it('exits on its own when nothing is pending, sockets still open', async () => {
    const r = await runChild(process.execPath, [fixture('idle-exit.js')], KILL_MS, undefined, env);
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('idle\n');
    expect(r.code).toBe(0);
  });

  it('stays alive while a read is pending, until data comes', async () => {
    const r = await runChild(process.execPath, [fixture('pending-read.js'), 'data'], KILL_MS, undefined, env);
    expect(r.killedByTimer).toBe(false);
    // Only the pending read kept the loop alive for the unref'd timer to fire.
    expect(r.stdout).toMatch(/^read late after \d+ ms\n$/);
    expect(Number(/after (\d+)/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(790);
    expect(r.code).toBe(0);
  });

  it('stays alive while a read is pending, until its timeout', async () => {
    const r = await runChild(process.execPath, [fixture('pending-read.js'), 'timeout'], KILL_MS, undefined, env);
    expect(r.killedByTimer).toBe(false);
    expect(r.stdout).toMatch(/^ReadTimeoutError after \d+ ms\n$/);
    expect(r.code).toBe(0);
  });

  it('process.exit() with reads, writes and accepts pending exits at once', async () => {
    for (const code of [0, 3, 0, 3, 0]) {
      // repeated: a crash on the way out can be rare
      const r = await runChild(process.execPath, [fixture('exit-pending.js'), String(code)], KILL_MS, undefined, env);
      expect(r.killedByTimer).toBe(false);
      expect(r.signal).toBeNull(); // no SIGSEGV/SIGABRT on the way out
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('exiting\n');
      expect(r.stderr).toBe('');
      // Wide bound: startup + 100 ms + exit; a join of blocked threads would hang to the kill timer.
      expect(r.ms).toBeLessThan(KILL_MS / 2);
    }
  });

  it.skipIf(!HAS_PROC)(`a Worker terminated mid-read takes its sockets and threads with it ${PROC_ONLY}`, async () => {
    const r = await runChild(process.execPath, [fixture('worker-read.js'), '5'], KILL_MS, undefined, env);
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => `round ${i}: terminated mid-read, peer saw EOF`));
    expect(lines[5]).toBe('main still works: after');
    // Every Worker thread and every owned thread of the Workers is joined.
    // Only the main env's own owned threads (idle, not yet retired) remain.
    const [, before, after, owned] = /tasks before (\d+) after (\d+) owned here (\d+)/.exec(lines[6]!)!.map(Number);
    expect(after).toBeLessThanOrEqual(before! + owned!);
  });

  it.skipIf(!HAS_PROC)(
    `Workers busy with sockets, terminated at random moments, crash nothing and leak nothing ${PROC_ONLY}`,
    { timeout: 60_000 },
    async () => {
      const { seed } = seeded('worker-churn');
      const r = await runChild(process.execPath, [fixture('worker-churn.js'), '12', String(seed)], 40_000, undefined, env);
      expect(r.killedByTimer).toBe(false);
      // Before the fixes: 'terminate called after throwing Napi::Error' (abort),
      // then accepted connections left open by every terminated Worker.
      expect(r.stderr).toBe('');
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      const [sockets, tasks] = r.stdout.trim().split('\n');
      const [, before, after] = /sockets before (\d+) after (\d+)/.exec(sockets!)!.map(Number);
      expect(after).toBe(before);
      const [, tBefore, tAfter, owned] = /tasks before (\d+) after (\d+) owned (\d+)/.exec(tasks!)!.map(Number);
      expect(tAfter).toBeLessThanOrEqual(tBefore! + owned!);
    },
  );

  it('a connection accepted as the env dies (its outcome cannot be built) is closed, not leaked', async () => {
    // The hook makes building an accept's outcome throw, as every call into a
    // terminated Worker's env does; the peer must read the end. Before the
    // fix the loop engine's accept that finished inside the call kept the
    // connection open for good (the Worker churn's CLOSE_WAIT leak).
    const r = await runChild(
      process.execPath,
      ['--force-node-api-uncaught-exceptions-policy=true', fixture('accept-result-throws.js')],
      KILL_MS,
      undefined,
      { ...env, KTS_TEST_ACCEPT_RESULT_THROWS: '1' },
    );
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('at once: end\nwaited: end\n');
    expect(r.code).toBe(0);
  });

  it("a socket's cell kept after the socket is collected throws, never reaches freed memory", async () => {
    // read, write and end reach the socket through its cell, not napi_unwrap
    // (native/socket_wrap.h SocketCell). Before the checks: a read in the
    // collecting GC's turn started an op on a wrapper about to be destroyed,
    // and one after its finalizer dereferenced a freed wrapper.
    const gcCell = join(__dirname, 'fixtures', 'gc-cell.js');
    const r = await runChild(process.execPath, ['--expose-gc', gcCell, engine], KILL_MS, undefined, env);
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    const collected = Array(3).fill('TypeError: socket was collected');
    expect(JSON.parse(r.stdout)).toEqual({
      construct: 'TypeError: NativeSocket is created by NativeSocket.open()',
      collected,
      finalized: collected,
      cellCollected: true,
    });
    expect(r.code).toBe(0);
  });

  it('loads in several Workers at once', async () => {
    const r = await runChild(process.execPath, [fixture('workers-load.js'), '4'], KILL_MS, undefined, env);
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('round trips ok: 5/5\n');
    expect(r.code).toBe(0);
  });
});
