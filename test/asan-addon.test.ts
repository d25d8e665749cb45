// The whole addon built with AddressSanitizer + UndefinedBehaviorSanitizer
// (scripts/asan-addon.sh: node-gyp with -fsanitize=address,undefined in a
// scratch copy, the ASan runtime preloaded into Node) runs aborts, close
// races, deadlines and Worker churn on both engines; any sanitizer report
// or failed test fails this. The build alone takes ~2 min on a loaded
// 2-vCPU machine, so .ci/run runs it with the first Node version only
// (KTS_CI_REPEAT=1 on the others).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

describe.skipIf(process.env.KTS_CI_REPEAT === '1')('addon under ASan+UBSan', () => {
  it('aborts, close races, deadlines and Worker churn pass with no report', { timeout: 920_000 }, () => {
    const r = spawnSync('bash', [join(root, 'scripts/asan-addon.sh')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 900_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) console.error(out);
    expect(r.error).toBeUndefined();
    expect(out).not.toMatch(/ERROR: AddressSanitizer|runtime error:/);
    expect(r.status).toBe(0);
    expect(out).toContain('asan-addon: passed under ASan+UBSan');
    // Both engines ran: every file's suites are per engine.
    expect(out).toMatch(/Test Files\s+4 passed/);
  });
});
