// Resource exhaustion: with a lowered fd limit (ulimit -n in a child),
// connect and accept fail with EMFILE as a catchable SocketError and the
// library recovers once fds are freed; 10 000 connect/close cycles leak no
// fd and no thread; 1 000 000 reads leave RSS flat, sampled over time; the
// server iterator outlives EMFILE, and a failed accept never starves timers.
import { describe, expect, it } from 'vitest';
import { ENGINES, HAS_PROC, PROC_ONLY } from './helpers.js';
import { fixture, runChild } from './stress-helpers.js';

describe('resource exhaustion', () => {
  it.each(ENGINES)('EMFILE under ulimit -n 64 is a SocketError, and the library recovers (%s engine)', async (engine) => {
    const r = await runChild(
      'bash',
      ['-c', `ulimit -n 64; exec "${process.execPath}" "${fixture('emfile.js')}"`],
      20_000,
      undefined,
      {
        KTS_TEST_ENGINE: engine,
      },
    );
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report.limit).toBeGreaterThan(0); // fds the child could still open: it really hit the limit
    expect(report.connect).toBe('SocketError EMFILE socket');
    expect(report.accept).toBe('SocketError EMFILE accept');
    expect(report.roundTrip).toBe('recovered');
    expect(report.afterClose).toBe('connected');
  });

  it.each(ENGINES)(
    'EMFILE under ulimit -n 64: an accept-retry loop lets timers run; for await backs off and goes on serving (%s engine)',
    async (engine) => {
      const r = await runChild(
        'bash',
        ['-c', `ulimit -n 64; exec "${process.execPath}" "${fixture('emfile-serve.js')}"`],
        20_000,
        undefined,
        { KTS_TEST_ENGINE: engine },
      );
      expect(r.killedByTimer).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        hogs: expect.any(Number),
        timerRan: true,
        sawEmfile: true,
        iterator: 'EMFILE',
        after: 'served',
        served: 2,
      });
    },
  );

  it.skipIf(!HAS_PROC)(`10 000 connect/close cycles leak no fd and no thread ${PROC_ONLY}`, { timeout: 120_000 }, async () => {
    // Owned threads retire after 30 ms idle here, so the pool starts and
    // joins threads all through the run; every 1000 cycles the child waits
    // for all of them to retire, then counts fds and /proc/self/task.
    const r = await runChild(process.execPath, [fixture('cycles.js'), '10000'], 110_000, undefined, {
      KTS_THREAD_IDLE_MS: '30',
    });
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      ms: number;
      base: { fds: number; tasks: number };
      samples: { cycle: number; fds: number; tasks: number; ownedBusy: number; retired: boolean }[];
      pending: number;
    };
    console.log(`10 000 cycles in ${out.ms} ms; base ${JSON.stringify(out.base)};`, JSON.stringify(out.samples));
    expect(out.samples).toHaveLength(10);
    for (const s of out.samples) {
      expect(s.retired).toBe(true);
      expect(s.fds).toBe(out.base.fds);
      expect(s.tasks).toBe(out.base.tasks);
      // Threads follow concurrency (an accept and a connect in flight), not the cycle count.
      expect(s.ownedBusy).toBeLessThanOrEqual(8);
    }
    expect(out.pending).toBe(0);
  });

  it('1 000 000 reads leave RSS flat (sampled after GC at 20 checkpoints)', { timeout: 120_000 }, async () => {
    const r = await runChild(process.execPath, ['--expose-gc', fixture('rss-reads.js'), '1000000'], 110_000);
    expect(r.killedByTimer).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { reads, waited, ms, rss } = JSON.parse(r.stdout) as { reads: number; waited: number; ms: number; rss: number[] };
    console.log(`rss over ${reads} reads (${waited} through owned threads) in ${ms} ms: ${rss.join(' ')} MiB`);
    expect(rss).toHaveLength(20);
    // After warm-up (first quarter), RSS stays within a band. A leak of one
    // Op per thread-served read (75 000 of them here) or of one 64-byte
    // buffer per read would add tens of MiB; the band allows 8 MiB of noise.
    const steady = rss.slice(5);
    expect(Math.max(...steady) - Math.min(...steady)).toBeLessThan(8);
    expect(steady[steady.length - 1]! - steady[0]!).toBeLessThan(8);
  });
});
