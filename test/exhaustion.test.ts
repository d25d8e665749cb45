// Resource exhaustion: with a lowered fd limit (ulimit -n in a child),
// connect and accept fail with EMFILE as a catchable SocketError and the
// library recovers once fds are freed; 10 000 connect/close cycles leak no
// fd and no thread; 1 000 000 reads leave RSS flat, sampled over time.
import { describe, expect, it } from 'vitest';
import { connect, listen } from '../dist/index.js';
import { openFds } from './helpers.js';
import { addon, fixture, runChild, taskCount } from './stress-helpers.js';

describe('resource exhaustion', () => {
  it('EMFILE under ulimit -n 64 is a SocketError, and the library recovers', async () => {
    const r = await runChild('bash', ['-c', `ulimit -n 64; exec "${process.execPath}" "${fixture('emfile.js')}"`], 20_000);
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

  it('10 000 connect/close cycles leak no fd and no thread', { timeout: 120_000 }, async () => {
    const CYCLES = 10_000;
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const target = { host: '127.0.0.1', port: (server.address() as { port: number }).port, timeout: 5000 };
    const fdsBefore = openFds();
    const samples: { cycle: number; fds: number; owned: number; tasks: number }[] = [];
    const started = Date.now();
    for (let i = 1; i <= CYCLES; i++) {
      const accepted = server.accept({ timeout: 5000 });
      const client = await connect(target);
      const peer = await accepted;
      if (i % 3 === 0) await client.write('x'); // some cycles carry data, so closes send it or reset
      await Promise.all([client.close(), peer.close()]);
      if (i % 1000 === 0) samples.push({ cycle: i, fds: openFds(), owned: addon.threads(), tasks: taskCount() });
    }
    console.log(`10k cycles in ${Date.now() - started} ms`, JSON.stringify(samples));
    for (const s of samples) expect(s.fds).toBe(fdsBefore);
    // Owned threads follow concurrency (an accept and a connect in flight,
    // plus one started while another was finishing), not the cycle count;
    // no other thread appears.
    for (const s of samples) {
      expect(s.owned).toBeLessThanOrEqual(8);
      expect(s.tasks - s.owned).toBe(samples[0]!.tasks - samples[0]!.owned);
    }
    // Idle owned threads retire (5 s idle) and leave the process: wait for
    // it, bounded, then the process has only the threads it had without us.
    const deadline = Date.now() + 20_000;
    while (addon.threads() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(addon.threads()).toBe(0);
    expect(taskCount()).toBe(samples[0]!.tasks - samples[0]!.owned);
    expect(addon.pending()).toBe(0);
    await server.close();
    expect(openFds()).toBe(fdsBefore - 1);
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
