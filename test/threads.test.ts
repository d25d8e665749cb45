// The addon's own threads: one per blocked operation, retired when idle.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('owned threads', () => {
  it('grow with the number of blocked operations and retire when idle', () => {
    const r = spawnSync(process.execPath, [join(__dirname, 'fixtures', 'threads-retire.js')], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, KTS_THREAD_IDLE_MS: '200' },
    });
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout) as { whileBlocked: number; after: number };
    expect(seen.whileBlocked).toBeGreaterThanOrEqual(8);
    expect(seen.after).toBe(0);
  });
});
