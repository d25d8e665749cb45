// The benchmark's smoke test (what CI runs of it): `node bench/run.js
// --quick` exits 0, writes both reports, covers every scenario with every
// kernel contender (K-loop included), and the kernel paths lost no byte in
// the deadline race. No timing assertions: figures live in the report, not
// in tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = join(__dirname, '..');
const SCENARIOS = ['lateness', 'race', 'pingpong', 'bulk', 'scale', 'neighbours', 'http'];
const KILL_AFTER_MS = 60_000;

function runQuick(out: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bench', 'run.js'), '--quick', `--out=${out}`], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, output });
    });
  });
}

type Row = { contender?: string; design?: string; [k: string]: unknown };
const names = (rows: Row[], key: 'contender' | 'design' = 'contender') => rows.map((r) => r[key]);

/** K-loop runs in every scenario, with the figures its targets need. */
// biome-ignore lint/suspicious/noExplicitAny: the report is JSON whose shape this test checks
function expectKLoopEverywhere(report: any) {
  const s = report.scenarios;
  expect(report.contenders.timeouts).toContain('K-loop');
  expect(report.contenders.throughput).toContain('K-loop');
  expect(names(s.lateness.rows)).toContain('K-loop');
  expect(names(s.neighbours.rows, 'design')).toContain('K-loop');
  const race = s.race.rows.find((r: Row) => r.contender === 'K-loop');
  expect(race, 'race row').toBeDefined();
  expect(race.trials).toBeGreaterThan(0);
  expect(race.lost).toBe(0);
  expect(s.pingpong.rows).toHaveLength(8);
  for (const cell of s.pingpong.rows) {
    const where = `${cell.peer} ${cell.connections} ${cell.messageBytes}`;
    const k = cell.results.find((r: Row) => r.contender === 'K-loop');
    expect(k, where).toBeDefined();
    expect(k.ratioToNet, where).toBeGreaterThan(0);
    expect(k.cpuUsPerRoundTrip, where).toBeGreaterThan(0);
    expect(k.cpuRatioToNet, where).toBeGreaterThan(0);
    // Paired per round (one ratio per round), the old best-round figures beside them.
    expect(k.ratioToNetRounds, where).toHaveLength(s.pingpong.rounds);
    expect(k.cpuRatioToNetRounds, where).toHaveLength(s.pingpong.rounds);
    expect(k.oldEstimator.ratioToNet, where).toBeGreaterThan(0);
    if (cell.peer === 'child') expect(k.peerCpuUsPerRoundTrip, where).toBeGreaterThan(0);
  }
  for (const cell of s.bulk.rows) {
    // Paired per round like the ping-pong, CPU per MiB, the old best-round figure beside them.
    for (const name of ['K', 'K-loop']) {
      const k = cell.results.find((r: Row) => r.contender === name);
      expect(k, `bulk ${cell.direction} ${name}`).toBeDefined();
      expect(k.ratioToNetRounds, cell.direction).toHaveLength(s.bulk.rounds);
      expect(k.cpuRatioToNetRounds, cell.direction).toHaveLength(s.bulk.rounds);
      expect(k.cpuUsPerMiB, cell.direction).toBeGreaterThan(0);
      expect(k.oldEstimator.ratioToNet, cell.direction).toBeGreaterThan(0);
    }
  }
  expect(s.http.rows).toHaveLength(4);
  for (const cell of s.http.rows) expect(cell.results.find((r: Row) => r.contender === 'K-loop').ratioToHttp).toBeGreaterThan(0);
  // Over TLS too, where the openssl CLI can make the run's certificate (.ci/run installs it).
  if (spawnSync('openssl', ['version']).status === 0) {
    expect(s.http.tlsRows).toHaveLength(4);
    for (const cell of s.http.tlsRows) expect(names(cell.results)).toEqual(['https', 'K', 'K-loop']);
  } else expect(s.http.tlsSkipped).toBeDefined();
  for (const n of s.scale.sizes) {
    for (const name of ['K', 'K-loop', 'U1', 'U2', 'U3', 'U2-reject']) {
      const row = s.scale.rows.find((r: Row) => r.contender === name && r.connections === n);
      expect(row, `scale ${name} N=${n}`).toBeDefined();
      expect(row.error, `scale ${name} N=${n}`).toBeUndefined();
      expect(row.timedOut, `scale ${name} N=${n}`).toBe(n);
      expect(row.firings.early + row.firings.late, `scale ${name} N=${n}`).toBe(n);
      expect(row.peakThreads, `scale ${name} N=${n}`).toBeGreaterThan(0);
    }
  }
  // K-loop with its deadline thread opted in to SCHED_FIFO: measured where
  // the kernel allows it (root), else skipped with the package's warning.
  for (const n of s.scale.sizes) {
    const rt = s.scale.rows.find((r: Row) => r.contender === 'K-loop-rt' && r.connections === n);
    expect(rt, `scale K-loop-rt N=${n}`).toBeDefined();
    expect(rt.error, `scale K-loop-rt N=${n}`).toBeUndefined();
    if (rt.skipped) expect(rt.skipped).toMatch(/SCHED_FIFO: \[EPERM\]/);
    else expect(rt.deadlineThread).toEqual({ policy: 'SCHED_FIFO', priority: 1 });
    const kLoop = s.scale.rows.find((r: Row) => r.contender === 'K-loop' && r.connections === n);
    expect(kLoop.deadlineThread).toEqual({ policy: 'SCHED_OTHER', priority: 0 });
  }
  const verdicts = report.kLoopTargets.map((t: { verdict: string }) => t.verdict);
  expect(verdicts.length).toBeGreaterThan(0);
  for (const v of verdicts) expect(['met', 'MISSED', 'not measured']).toContain(v);
}

describe('npm run bench -- --quick', () => {
  it(
    'writes latest.json and latest.html with every scenario, and K loses nothing',
    async () => {
      // A fresh directory, so a developer's bench/results survive npm test.
      const results = mkdtempSync(join(tmpdir(), 'kts-bench-'));
      onTestFinished(() => rmSync(results, { recursive: true, force: true }));
      const run = await runQuick(results);
      expect(run.signal, run.output).toBe(null);
      expect(run.code, run.output).toBe(0);

      for (const file of ['latest.json', 'latest.html']) expect(existsSync(join(results, file)), file).toBe(true);
      const report = JSON.parse(readFileSync(join(results, 'latest.json'), 'utf8'));
      expect(report.quick).toBe(true);
      for (const name of SCENARIOS) {
        expect(report.scenarios[name], name).toBeDefined();
        expect(report.scenarios[name].error, name).toBeUndefined();
      }
      const kernelRows = report.scenarios.race.rows.filter((r: { kind: string }) => r.kind === 'kernel');
      expect(kernelRows.length).toBeGreaterThan(0);
      for (const row of kernelRows) {
        expect(row.trials, row.contender).toBeGreaterThan(0);
        expect(row.lost, row.contender).toBe(0);
      }
      expectKLoopEverywhere(report);
      const html = readFileSync(join(results, 'latest.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      // Every chart has an accessible name; the page is a pure function of
      // the report (no random jitter); lateness is on a log axis.
      const svgs = html.match(/<svg[^>]*>(<title>[^<]+<\/title>)?/g) ?? [];
      expect(svgs.length).toBeGreaterThan(0);
      for (const svg of svgs) expect(svg, 'an <svg> without a <title>').toMatch(/role="img"><title>[^<]+<\/title>$/);
      const { renderHtml } = require(join(root, 'bench', 'report', 'html.js'));
      expect(renderHtml(report)).toBe(html);
      expect(html).toContain('ms after the deadline (log scale)');
    },
    KILL_AFTER_MS + 10_000,
  );
});

describe('bench command lines', () => {
  /** Runs a bench script with `args`; it must finish on its own, within 30 s. */
  function bench(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [join(root, 'bench', script), ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('an unknown scenario name fails with the valid ones, and runs nothing', () => {
    const out = mkdtempSync(join(tmpdir(), 'kts-bench-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const r = bench('run.js', ['--only=race,racee', `--out=${out}`]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`unknown scenario: racee; valid: ${SCENARIOS.join(', ')}`);
    expect(r.stdout).toBe('');
    expect(existsSync(join(out, 'latest.json'))).toBe(false);
  });

  it('an unknown flag fails in every bench script, with the valid flags', () => {
    for (const [script, flags] of [
      ['run.js', '--quick --only=... --out=... --help'],
      ['timer-modes.js', '--quick --help'],
      ['retime.js', '--samples=... --help'],
      ['pooled-requests.js', '--help'],
      ['stream-throughput.js', '--help'],
      ['scale/holder.js', '--help'],
      ['bulk-cost.js', '--mib=... --rounds=... --only=... --measure=... --port=... --direction=... --help'],
      ['http-cost.js', '--requests=... --only=... --body=... --top=... --serve=... --help'],
      ['op-instructions.js', '--contender=... --size=... --path=... --measure=... --trips=... --peer --help'],
    ] as const) {
      const r = bench(script, ['--qiuck']);
      expect(r.status, `${script}: ${r.stderr}`).toBe(2);
      expect(r.stderr, script).toContain("Unknown option '--qiuck'");
      expect(r.stderr, script).toContain(`valid flags: ${flags}`);
      expect(r.stderr, script).toContain(`usage: node bench/${script}`);
    }
  });

  it('a value that is not a positive integer fails, naming it', () => {
    const r = bench('stream-throughput.js', ['lots']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('MiB must be a positive integer, not "lots"');
  });
});
