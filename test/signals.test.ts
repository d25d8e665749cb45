// Signals against reads with timeouts. Owned threads block asynchronous
// signals, and an EINTR (Linux returns it after SIGSTOP/SIGCONT even with no
// handler, docs/kernel-facts.md) is retried with the time left, never a fresh timeout.
// So: a storm of SIGCHLD (many short children) causes no spurious error, and
// stopping the process for a second neither fails a read nor stretches its
// timeout past the original deadline (wide bounds, documented per test).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ReadTimeoutError } from '../dist/index.js';
import { ENGINES, pair } from './helpers.js';
import { fixture, outcome, runChild } from './stress-helpers.js';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

describe.each(ENGINES)('signals (%s engine)', (engine) => {
  it('a SIGCHLD storm neither fails nor stretches pending reads', { timeout: 30_000 }, async () => {
    const TIMEOUT = 1500;
    const pairs = await Promise.all([
      pair('tcp4', {}, engine),
      pair('tcp4', {}, engine),
      pair('unix', {}, engine),
      pair('unix', {}, engine),
    ]);
    const started = nowMs();
    const timed = pairs.slice(0, 3).map(({ client }) => outcome(client.read(64, { timeout: TIMEOUT })));
    const withData = outcome(pairs[3]!.client.readExactly(8, { timeout: 10_000 }));

    // Children exiting all through the timeouts: each exit is a SIGCHLD.
    let children = 0;
    let stop = false;
    const spawner = async () => {
      while (!stop && children < 400) {
        children++;
        await new Promise((resolve) => spawn('true').on('close', resolve).on('error', resolve));
      }
    };
    const spawners = Promise.all(Array.from({ length: 6 }, spawner));
    setTimeout(() => void pairs[3]!.peer.write('8 bytes!'), TIMEOUT / 2);
    const results = await Promise.all(timed);
    stop = true;
    await spawners;
    expect(children).toBeGreaterThanOrEqual(50);

    for (const r of results) {
      expect(r.ok).toBe(false);
      const err = (r as { error: ReadTimeoutError }).error;
      expect(err).toBeInstanceOf(ReadTimeoutError);
      const decided = err.decidedAt! - started;
      // The kernel's verdict, not before the timeout, and nowhere near a
      // restarted full timeout (jiffy lateness is < 50 ms at 1.5 s).
      expect(decided).toBeGreaterThanOrEqual(TIMEOUT - 1);
      expect(decided).toBeLessThan(TIMEOUT + 700);
    }
    const d = await withData;
    expect(d.ok && d.value.toString()).toBe('8 bytes!');
    await Promise.all(pairs.map((p) => p.close()));
  });

  it('SIGSTOP/SIGCONT: reads keep their original deadline, data still arrives', { timeout: 30_000 }, async () => {
    const TIMEOUT = 2000;
    let stoppedAt = 0;
    const r = await runChild(process.execPath, [fixture('stop-reads.js'), String(TIMEOUT)], 20_000, (chunk, child) => {
      if (!chunk.includes('ready')) return;
      // Stop at ~300 ms for 1 s: a read restarted with the full timeout at
      // SIGCONT would end near 1300 + 2000 ms, far past the deadline.
      setTimeout(() => {
        stoppedAt = Date.now();
        child.kill('SIGSTOP');
        setTimeout(() => child.kill('SIGCONT'), 1000);
      }, 300);
    });
    expect(r.killedByTimer).toBe(false);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('ready');
    const results = JSON.parse(lines[1]!) as { kind: string; decided?: number }[];
    expect(results).toHaveLength(5);
    for (const t of results.slice(0, 4)) {
      expect(t.kind).toBe('ReadTimeoutError');
      // Wide bound: not early, and well under the 3300 ms a full restart gives.
      expect(t.decided!).toBeGreaterThanOrEqual(TIMEOUT - 1);
      expect(t.decided!).toBeLessThan(TIMEOUT + 900);
    }
    expect(results[4]!.kind).toBe('data hello');
  });
});
