// KTS_DEADLINE_PRIORITY: the loop engine's deadline thread under SCHED_FIFO
// when asked and allowed; one warning, and the engine as without it, when
// the value is bad or the kernel refuses; nothing at all when unset. Each
// case runs in a child process (the variable is read once per env), which
// reports the thread's policy from /proc (test/fixtures/deadline-priority.js).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePriority } from '../dist/deadline-priority.js';

const FIXTURE = join(__dirname, 'fixtures', 'deadline-priority.js');
const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const ASKED = 7;

// What lets this process (and so the child) take SCHED_FIFO: CAP_SYS_NICE
// (bit 23 of CapEff, which uid 0 lacks in a container that drops it), or an
// RLIMIT_RTPRIO of at least the priority (sched(7)). Linux only.
function procField(file: string, field: string): string | undefined {
  return new RegExp(`^${field}:?\\s+(\\S+)`, 'm').exec(readFileSync(file, 'latin1'))?.[1];
}
const onLinux = process.platform === 'linux';
const hasSysNice = onLinux && ((BigInt(`0x${procField('/proc/self/status', 'CapEff') ?? '0'}`) >> 23n) & 1n) === 1n;
const rtprio = onLinux ? procField('/proc/self/limits', 'Max realtime priority') : '0';
const mayTakeFifo = hasSysNice || rtprio === 'unlimited' || Number(rtprio) >= ASKED;

interface Report {
  threads: { tid: number; policy: number; priority: number }[];
  warnings: { name: string; code: string; errno?: number; syscall?: string; message: string }[];
  outcome: string;
  elapsed: number;
}

/** Runs the fixture with KTS_DEADLINE_PRIORITY = value (undefined: unset), behind `wrapper` (a command and its arguments). */
function run(value: string | undefined, wrapper: string[] = [], args: string[] = []): Report {
  const env = { ...process.env };
  delete env.KTS_DEADLINE_PRIORITY;
  if (value !== undefined) env.KTS_DEADLINE_PRIORITY = value;
  const argv = [...wrapper, process.execPath, FIXTURE, ...args];
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, encoding: 'utf8', timeout: 20_000 });
  expect(r.stderr, 'stderr').not.toMatch(/Error|Abort|Segmentation/);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

/** The read still ended on the kernel's timeout verdict, after its 150 ms. */
function expectTimedOut(report: Report): void {
  expect(report.outcome).toBe('ERR_SOCKET_READ_TIMEOUT');
  expect(report.elapsed).toBeGreaterThanOrEqual(149);
  expect(report.elapsed).toBeLessThan(5000);
}

// Without CAP_SYS_NICE and with RLIMIT_RTPRIO 0 the kernel refuses SCHED_FIFO
// (sched(7)). prlimit lowers the limit for anyone; with the capability,
// setpriv also drops it (bounding set and inheritable, so the exec does not
// regain it).
const UNPRIVILEGED = [
  'prlimit',
  '--rtprio=0:0',
  ...(hasSysNice ? ['setpriv', '--inh-caps=-sys_nice', '--bounding-set=-sys_nice'] : []),
];
const haveTools =
  spawnSync('prlimit', ['--version']).status === 0 && (!hasSysNice || spawnSync('setpriv', ['--version']).status === 0);

describe.skipIf(process.platform !== 'linux')('KTS_DEADLINE_PRIORITY', () => {
  it('unset: the deadline thread keeps SCHED_OTHER and nothing is said', () => {
    const report = run(undefined);
    expect(report.threads).toEqual([expect.objectContaining({ policy: SCHED_OTHER, priority: 0 })]);
    expect(report.warnings).toEqual([]);
    expectTimedOut(report);
  });

  it('0: none asked, as unset', () => {
    const report = run('0');
    expect(report.threads).toEqual([expect.objectContaining({ policy: SCHED_OTHER, priority: 0 })]);
    expect(report.warnings).toEqual([]);
    expectTimedOut(report);
  });

  it.skipIf(!mayTakeFifo)('allowed (CAP_SYS_NICE or RLIMIT_RTPRIO): SCHED_FIFO at the priority asked, no warning', () => {
    const report = run(String(ASKED));
    expect(report.threads).toEqual([expect.objectContaining({ policy: SCHED_FIFO, priority: ASKED })]);
    expect(report.warnings).toEqual([]);
    expectTimedOut(report);
  });

  it.skipIf(!mayTakeFifo)("read once per env: a Worker's deadline thread takes it too", () => {
    const report = run(String(ASKED), [], ['worker']);
    expect(report.threads).toHaveLength(2);
    for (const t of report.threads) expect(t).toEqual(expect.objectContaining({ policy: SCHED_FIFO, priority: ASKED }));
    expect(report.warnings).toEqual([]);
    expectTimedOut(report);
  });

  it.skipIf(!haveTools)('refused by the kernel: one EPERM warning, SCHED_OTHER, and reads still time out', () => {
    const report = run(String(ASKED), UNPRIVILEGED);
    expect(report.warnings).toEqual([
      {
        name: 'KernelTimeoutSocketWarning',
        code: 'EPERM',
        errno: -1,
        syscall: 'pthread_setschedparam',
        message: expect.stringContaining(`KTS_DEADLINE_PRIORITY=${ASKED}`),
      },
    ]);
    expect(report.threads).toEqual([expect.objectContaining({ policy: SCHED_OTHER, priority: 0 })]);
    expectTimedOut(report);
  });

  it.each(['abc', '100'])('a bad value (%s): one ERR_INVALID_ARG_VALUE warning naming it, no change', (value) => {
    const report = run(value);
    expect(report.warnings).toEqual([
      {
        name: 'KernelTimeoutSocketWarning',
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringContaining(`KTS_DEADLINE_PRIORITY='${value}'`),
      },
    ]);
    expect(report.threads).toEqual([expect.objectContaining({ policy: SCHED_OTHER, priority: 0 })]);
    expectTimedOut(report);
  });

  it('parses decimal digits only, 0 to the maximum', () => {
    for (const ok of ['0', '1', '7', '99', '007']) expect(parsePriority(ok, 99), ok).toBe(Number(ok));
    for (const bad of ['', ' 5', '5 ', '+5', '-1', '1.5', '1e1', '0x10', '100', '1000', 'five', '٥', '5\n']) {
      expect(parsePriority(bad, 99), JSON.stringify(bad)).toBeUndefined();
    }
    expect(parsePriority('50', 49)).toBeUndefined();
  });
});
