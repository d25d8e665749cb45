// NODE_DEBUG=kernel-timeout-socket logs every operation: its timeout, whether
// it blocked (went to the kernel on an owned thread) or finished at once,
// and its outcome. Checked in a child process, where NODE_DEBUG is read.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const entry = join(__dirname, '..', 'dist', 'index.js');

const script = `
const k = require(${JSON.stringify(entry)});
(async () => {
  const s = await k.listen({ host: '127.0.0.1', port: 0 });
  const accepted = s.accept({ timeout: 4000 });
  const c = await k.connect({ host: '127.0.0.1', port: s.address().port, timeout: 3000 });
  const p = await accepted;
  const blocked = p.read(5, { timeout: 2000 });
  await c.write('hello');
  await blocked;
  await p.read(7, { timeout: 150 }).catch(() => {});
  await Promise.all([c.close(), p.close(), s.close()]);
  console.log('done');
})();
`;

function run(env: NodeJS.ProcessEnv): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('NODE_DEBUG=kernel-timeout-socket', () => {
  it('logs each blocking call with its timeout and its outcome', () => {
    const { stdout, stderr } = run({ NODE_DEBUG: 'kernel-timeout-socket' });
    expect(stdout.trim()).toBe('done');
    const lines = stderr.split('\n').filter((l) => l.startsWith('KERNEL-TIMEOUT-SOCKET'));
    const has = (re: RegExp) =>
      expect(
        lines.some((l) => re.test(l)),
        `${re} in:\n${lines.join('\n')}`,
      ).toBe(true);
    // Blocking calls: pending in the kernel, with their timeouts ...
    has(/: fd \d+ accept pending \(id \d+, in kernel, timeout 4000 ms\)$/);
    has(/: fd \d+ connect\(127\.0\.0\.1:\d+\) pending \(id \d+, in kernel, timeout 3000 ms\)$/);
    has(/: fd \d+ read\(5\) pending \(id \d+, in kernel, timeout 2000 ms\)$/);
    has(/: fd \d+ read\(7\) pending \(id \d+, in kernel, timeout 150 ms\)$/);
    // ... and how each ended.
    has(/: fd \d+ accept -> ok after [\d.]+ ms$/);
    has(/: fd \d+ connect\(127\.0\.0\.1:\d+\) -> ok after [\d.]+ ms$/);
    has(/: fd \d+ read\(5\) -> ok after [\d.]+ ms$/);
    has(/: fd \d+ read\(7\) -> ERR_SOCKET_READ_TIMEOUT after [\d.]+ ms$/);
    // A call the fast path finished says so.
    has(/: fd \d+ write\(5\) done without blocking \(timeout 0 ms\)$/);
    has(/: fd \d+ write\(5\) -> ok after [\d.]+ ms$/);
    has(/: close fd \d+$/);
    // The read that timed out waited its 150 ms in the kernel (wide bound).
    const waited = Number(/read\(7\) -> ERR_SOCKET_READ_TIMEOUT after ([\d.]+) ms/.exec(stderr)![1]);
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(5000);
  });

  it('logs nothing without NODE_DEBUG', () => {
    const { stdout, stderr } = run({ NODE_DEBUG: '' });
    expect(stdout.trim()).toBe('done');
    expect(stderr).toBe('');
  });
});
