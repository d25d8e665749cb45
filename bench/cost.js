'use strict';
// Where one round trip's CPU goes, per contender (K-loop, K, net): a
// 1 B ping-pong on one connection to an echo peer in another process, the
// measured contender alone in its own process. Three passes per contender:
// - plain: CPU µs per round trip (process.cpuUsage, user + system, all
//   threads) and garbage collections per 10 000 round trips;
// - under `strace -c -f`: syscalls per round trip (skipped without strace);
// - under `perf record` with --perf-basic-prof: the CPU split by where it
//   ran (skipped without perf): kernel (syscalls, wake-ups), optimized JS
//   (JIT code), N-API (napi_* and v8impl symbols' own time), allocation
//   (malloc/free/operator new), the addon's own code, and the rest of Node
//   (V8's runtime, interpreter and builtins, libuv). Self time per symbol,
//   no call graph: N-API's figure is the glue itself, not the V8 work it calls.
//
//   node bench/cost.js [--trips=20000] [--only=K-loop,K,net]
//
// Prints one Markdown table on stdout (docs/benchmark-results.md keeps one).
const { execFileSync, fork, spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { PerformanceObserver } = require('node:perf_hooks');
const { cli } = require('./lib/args');
const { SOCKET_OPTIONS } = require('./lib/socket-options');

const CONTENDERS = ['K-loop', 'K', 'net'];
const WARMUP = 2000;

/** The measured process: `--measure=NAME --port=P --trips=N`; prints one JSON line. */
async function measure(name, port, trips) {
  let gcs = 0;
  new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
  const msg = Buffer.alloc(1, 0x62);
  let pingPong;
  let close;
  if (name === 'net') {
    const s = net.connect({ host: '127.0.0.1', port, ...SOCKET_OPTIONS });
    await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
    pingPong = (n) =>
      new Promise((resolve) => {
        let left = n;
        const onData = () => {
          if (--left === 0) {
            s.removeListener('data', onData);
            resolve();
          } else s.write(msg);
        };
        s.on('data', onData);
        s.write(msg);
      });
    close = () => s.destroy();
  } else {
    const kts = require('../dist/index.js');
    const engine = name === 'K-loop' ? { engine: 'loop' } : {};
    const s = await kts.connect({ host: '127.0.0.1', port, timeout: 10_000, ...SOCKET_OPTIONS, ...engine });
    pingPong = async (n) => {
      for (let i = 0; i < n; i++) {
        await s.write(msg, { timeout: 10_000 });
        await s.readExactly(1, { timeout: 10_000 });
      }
    };
    close = () => s.close();
  }
  await pingPong(WARMUP);
  gcs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await pingPong(trips);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  await close();
  await new Promise((resolve) => setImmediate(resolve)); // let the gc observer report
  process.stdout.write(
    `${JSON.stringify({ userUs: cpu.user / trips, sysUs: cpu.system / trips, wallUs: wallUs / trips, gcPer10k: (gcs * 10_000) / trips })}\n`,
  );
}

function echoPeer() {
  const server = net.createServer(SOCKET_OPTIONS, (s) => s.on('data', (d) => s.write(d)).on('error', () => {}));
  server.listen({ host: '127.0.0.1', port: 0 }, () => process.send(server.address().port));
  process.on('disconnect', () => process.exit(0));
}

function has(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function measureArgs(name, port, trips) {
  return [__filename, `--measure=${name}`, `--port=${port}`, `--trips=${trips}`];
}

function plain(name, port, trips) {
  const out = execFileSync(process.execPath, measureArgs(name, port, trips), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

/** strace -c -f: total syscalls per round trip and the three most frequent. */
function syscalls(name, port, trips, dir) {
  const file = join(dir, `strace-${name}`);
  execFileSync('strace', ['-c', '-f', '-o', file, process.execPath, ...measureArgs(name, port, trips)], { stdio: 'ignore' });
  const rows = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') rows.push({ name: m[2], calls: Number(m[1]) });
  }
  // Setup and warm-up syscalls are counted too: measured over trips + WARMUP round trips.
  const per = (n) => n / (trips + WARMUP);
  rows.sort((a, b) => b.calls - a.calls);
  const total = per(rows.reduce((a, r) => a + r.calls, 0));
  const top = rows.slice(0, 3).map((r) => `${r.name} ${per(r.calls).toFixed(2)}`);
  return { total, top };
}

const SHARES = ['kernel', 'JS (JIT)', 'N-API', 'alloc', 'addon', 'node rest'];

function classify(dso, sym) {
  if (dso === '[kernel.kallsyms]' || dso.startsWith('[kernel')) return 'kernel';
  if (dso.startsWith('[JIT]') || dso.startsWith('perf-')) return 'JS (JIT)';
  if (/\bnapi_|v8impl|Napi::/.test(sym)) return 'N-API';
  if (/^(malloc|free|calloc|realloc|cfree|_int_malloc|_int_free|operator new|operator delete|tcache|malloc_consolidate)/.test(sym))
    return 'alloc';
  if (dso.includes('kernel_timeout_socket')) return 'addon';
  return 'node rest';
}

/** perf record: the share of CPU samples per component. */
function split(name, port, trips, dir) {
  const file = join(dir, `perf-${name}.data`);
  execFileSync(
    'perf',
    ['record', '-q', '-F', '4999', '-o', file, '--', process.execPath, '--perf-basic-prof', ...measureArgs(name, port, trips)],
    { stdio: 'ignore' },
  );
  const report = execFileSync('perf', ['report', '-i', file, '--stdio', '--sort', 'dso,sym', '--percent-limit', '0'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const shares = Object.fromEntries(SHARES.map((s) => [s, 0]));
  for (const line of report.split('\n')) {
    const m = /^\s*([\d.]+)%\s+(\S+(?: tid \d+)?)\s+\[.\]\s+(.*)$/.exec(line);
    if (m) shares[classify(m[2], m[3])] += Number(m[1]);
  }
  return shares;
}

async function main() {
  const { values } = cli('usage: node bench/cost.js [--trips=20000] [--only=K-loop,K,net]', {
    trips: { type: 'string', default: '20000' },
    only: { type: 'string', default: CONTENDERS.join(',') },
    measure: { type: 'string' },
    port: { type: 'string' },
    peer: { type: 'boolean' },
  });
  const trips = Number(values.trips);
  if (!Number.isInteger(trips) || trips < 1 || trips > 10_000_000) throw new RangeError('--trips: an integer 1..1e7');
  if (values.peer) return echoPeer();
  if (values.measure) return measure(values.measure, Number(values.port), trips);
  const names = values.only.split(',');
  for (const n of names) if (!CONTENDERS.includes(n)) throw new RangeError(`--only: one of ${CONTENDERS.join(', ')}`);

  const peer = fork(__filename, ['--peer'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve) => peer.once('message', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'kts-cost-'));
  const withStrace = has('strace');
  const withPerf = has('perf');
  const rows = [];
  try {
    for (const name of names) {
      const p = plain(name, port, trips);
      const s = withStrace ? syscalls(name, port, trips, dir) : null;
      const sh = withPerf ? split(name, port, trips, dir) : null;
      const cpu = p.userUs + p.sysUs;
      const parts = sh ? SHARES.map((k) => ((cpu * sh[k]) / 100).toFixed(2)) : SHARES.map(() => 'n/a');
      rows.push(
        `| ${name} | ${p.wallUs.toFixed(1)} | ${cpu.toFixed(2)} (${p.userUs.toFixed(2)} + ${p.sysUs.toFixed(2)}) | ${parts.join(' | ')} | ` +
          `${s ? `${s.total.toFixed(2)} (${s.top.join(', ')})` : 'n/a'} | ${p.gcPer10k.toFixed(1)} |`,
      );
      process.stderr.write(`cost: ${name} done\n`);
    }
  } finally {
    peer.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${trips} round trips of 1 B, one connection, echo peer in another process, ${process.version}`);
  console.log('CPU and its parts in µs per round trip of the measured process (its parts: perf samples by where they ran)\n');
  console.log(`| contender | wall µs | CPU µs (user + sys) | ${SHARES.join(' | ')} | syscalls (top 3) | GCs per 10k |`);
  console.log(`| --- | --- | --- | ${SHARES.map(() => '---').join(' | ')} | --- | --- |`);
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
