#!/usr/bin/env node
// How late does a read timeout fire, per timer mode? For each timeout band
// it times out reads on idle loopback connections and reports p50/p99
// lateness, kernel-side (err.decidedAt: when the owned thread saw the
// kernel's verdict) and JavaScript-side (when the promise rejected), both
// against the deadline computed just before the call, plus what the kernel
// stores for that SO_RCVTIMEO (getsockopt after setsockopt).
//
//   node bench/timer-modes.js           full run (~1 min), writes docs/timer-granularity.md
//   node bench/timer-modes.js --quick   a few samples, no 3 s band, prints only
//
// Standalone: needs only the built package (npm ci). Plain JavaScript.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { connect, listen } = require('../dist/index.js');
const { addon } = require('../dist/native.js');
const { cli } = require('./lib/args');

const QUICK = cli('usage: node bench/timer-modes.js [--quick]', { quick: { type: 'boolean', default: false } }).values.quick;
const MODES = ['sockopt', 'poll'];
// samples per mode; lanes = idle connections timing out at once (each one
// an owned thread blocked in the kernel), so long bands finish in time.
const BANDS = [
  { ms: 1, samples: QUICK ? 40 : 400, lanes: 1 },
  { ms: 10, samples: QUICK ? 40 : 300, lanes: 4 },
  { ms: 100, samples: QUICK ? 20 : 200, lanes: 10 },
  { ms: 1000, samples: QUICK ? 10 : 100, lanes: 20 },
  ...(QUICK ? [] : [{ ms: 3000, samples: 100, lanes: 20 }]),
];

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

async function openLanes(count) {
  const server = await listen({ host: '127.0.0.1', port: 0, backlog: 64 });
  const { port } = server.address();
  const lanes = [];
  for (let i = 0; i < count; i++) {
    const accepted = server.accept({ timeout: 5000 });
    const client = await connect({ host: '127.0.0.1', port, timeout: 5000 });
    lanes.push({ client, peer: await accepted });
  }
  return {
    lanes,
    close: async () => {
      await Promise.all(lanes.flatMap((l) => [l.client.close(), l.peer.close()]));
      await server.close();
    },
  };
}

// One lane: read timeouts one after another, with 0-2 ms of random spacing.
// Lanes start at random offsets within one timeout, so their deadlines
// spread over the period instead of landing together: a burst of other load
// then hits a few samples, not a whole round of them.
async function runLane(lane, band, timer, count, out) {
  await pause(Math.random() * band.ms);
  for (let i = 0; i < count; i++) {
    await pause(Math.random() * 2);
    const deadline = nowMs() + band.ms;
    let err;
    try {
      await lane.client.read(16, { timeout: band.ms, timer });
    } catch (e) {
      err = e;
    }
    const seen = nowMs();
    if (!err || err.name !== 'ReadTimeoutError') throw new Error(`expected a ReadTimeoutError, got ${err ? err.stack : 'data'}`);
    out.js.push(seen - deadline);
    // No decidedAt: the time was up before the owned thread could make a
    // syscall (thread hand-off took longer than the timeout).
    if (typeof err.decidedAt === 'number') out.kernel.push(err.decidedAt - deadline);
    else out.noSyscall++;
  }
}

async function measure(lanes, band, timer) {
  const out = { kernel: [], js: [], noSyscall: 0 };
  const per = Math.ceil(band.samples / band.lanes);
  // Warm up: owned threads exist and are idle before the first sample.
  await Promise.all(lanes.slice(0, band.lanes).map((lane) => runLane(lane, { ms: 5 }, timer, 2, { kernel: [], js: [], noSyscall: 0 })));
  await Promise.all(lanes.slice(0, band.lanes).map((lane) => runLane(lane, band, timer, per, out)));
  out.kernel.sort((a, b) => a - b);
  out.js.sort((a, b) => a - b);
  return out;
}

function kernelHz() {
  const release = os.release();
  try {
    const text = fs.readFileSync(`/boot/config-${release}`, 'utf8');
    const m = /^CONFIG_HZ=(\d+)/m.exec(text);
    if (m) return { hz: Number(m[1]), source: `/boot/config-${release}` };
  } catch {}
  try {
    const text = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString();
    const m = /^CONFIG_HZ=(\d+)/m.exec(text);
    if (m) return { hz: Number(m[1]), source: '/proc/config.gz' };
  } catch {}
  const r = addon.NativeSocket.timeoutReadback(1, 'recv');
  if (typeof r === 'number' && r > 1) return { hz: Math.round(1000 / r), source: 'inferred: SO_RCVTIMEO 1 ms reads back as ' + r + ' ms' };
  return { hz: undefined, source: 'unknown' };
}

function machine() {
  let kernel = os.release();
  try {
    kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  } catch {}
  return { kernel, ...kernelHz(), cpus: os.cpus().length, node: process.version, platform: process.platform, loadBefore: os.loadavg()[0] };
}

const f = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

function table(results) {
  const lines = [
    '| timeout | SO_RCVTIMEO readback | mode | samples | kernel p50 | kernel p90 | kernel p99 | JS p50 | JS p99 | poll target (p99 <= 1 ms + 0.2 %) |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const k99 = percentile(r.kernel, 99);
    const target = 1 + 0.002 * r.band.ms;
    const verdict = r.timer === 'poll' ? `${k99 <= target ? 'met' : 'MISSED'} (${f(target)} ms)` : '';
    lines.push(
      `| ${r.band.ms} ms | ${f(r.readback)} ms | ${r.timer} | ${r.kernel.length}${r.noSyscall ? ` +${r.noSyscall}` : ''} | ` +
        `${f(percentile(r.kernel, 50))} | ${f(percentile(r.kernel, 90))} | ${f(k99)} | ` +
        `${f(percentile(r.js, 50))} | ${f(percentile(r.js, 99))} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

function report(m, results, seconds) {
  return `# Timer granularity: how late a kernel timeout fires

Generated by \`node bench/timer-modes.js\` (${seconds.toFixed(0)} s). Lateness is in milliseconds past the
deadline computed just before the call (\`Number(process.hrtime.bigint()) / 1e6\` + timeout):
**kernel** = \`err.decidedAt\` (when the owned thread saw the kernel's verdict), **JS** = when the
promise rejected on the event loop. p99 is the nearest-rank percentile: with 100 samples it is the
second largest. Loopback connections that never receive data; several run at
once in the long bands (1 ms: 1, 10 ms: 4, 100 ms: 10, 1 s and 3 s: 20), started at random offsets
within one timeout so their deadlines spread out, each read spaced 0-2 ms.
"samples" counts kernel-side samples; "+N" are reads whose time was up before the owned thread
could make any syscall (thread hand-off took longer than the timeout): they time out without one,
have no \`decidedAt\`, and count in the JS columns only.

Machine: Linux ${m.kernel}, ${m.platform}, HZ=${m.hz ?? '?'} (${m.source}), ${m.cpus} CPUs, Node ${m.node}.
Load average (1 min) ${m.loadBefore.toFixed(2)} before the run, ${os.loadavg()[0].toFixed(2)} after: above the CPU count, the
p99 columns mostly measure how long a woken thread waits for a CPU, not the timer.

${table(results)}

Reading the tail: on this shared machine (other builds and test suites running) the p99 of
\`'poll'\` swings from run to run: across the full runs made while writing this, between 0.2 and
12 ms, meeting the target in anywhere from 1 to all 5 bands per run, while p50 stayed at 0.1 ms and p90
under 0.4 ms. The tail is a woken thread waiting for a CPU, not the timer: a plain C program doing the
same \`ppoll\` waits on 20 threads showed the same tail here (p50 0.08 ms, p99 3.1 ms). On an idle
machine expect p99 near p90. \`'sockopt'\` is late by design, whatever the load: p50 ~5 ms at 1 and
10 ms, ~20 ms at 1 s, ~70 ms at 3 s.

## What the modes are

- \`timer: 'sockopt'\` (default): the time left goes into \`SO_RCVTIMEO\`/\`SO_SNDTIMEO\` of a blocking
  call. Linux stores it in jiffies, rounded up (the readback column), and fires it from the timer
  wheel, whose buckets grow 8x per level: a few ms late for short timeouts, tens to hundreds of ms
  late for seconds.
- \`timer: 'poll'\`: the owned thread waits in \`ppoll(2)\` (\`poll(2)\` off Linux, whole ms rounded up)
  for the time left, then makes the call with \`MSG_DONTWAIT\`. \`ppoll\` uses a high-resolution timer,
  still armed inside the kernel, so no byte can be lost to a timer race, exactly as with
  \`SO_RCVTIMEO\`. Its slack is 0.1 % of the timeout (at least 50 µs), i.e. ~1 ms late at 1 s, so
  waits over 50 ms aim 1 % early and the rest is waited with a short timeout (~50 µs slack): one
  more wake-up per factor of 100. Costs one more syscall per wait than \`'sockopt'\`.
  \`SO_RCVTIMEO\`/\`SO_SNDTIMEO\` stay set to the time left as a backstop.

Use \`'poll'\` when a timeout of a few milliseconds must mean a few milliseconds, or when seconds
must not stretch by 5-10 %; per socket (\`connect({ timer: 'poll' })\`, \`sock.setTimer('poll')\`),
per server (\`listen({ timer: 'poll' })\`: accepts and accepted sockets) or per call
(\`sock.read(n, { timeout: 5, timer: 'poll' })\`).

The JS columns add the event loop's own delay in delivering the result; they are what a caller
observes, the kernel columns are what the kernel decided.
`;
}

async function main() {
  const started = nowMs();
  const m = machine();
  const maxLanes = Math.max(...BANDS.map((b) => b.lanes));
  const { lanes, close } = await openLanes(maxLanes);
  const results = [];
  try {
    for (const band of BANDS) {
      const rb = addon.NativeSocket.timeoutReadback(band.ms, 'recv');
      const readback = typeof rb === 'number' ? rb : NaN;
      for (const timer of MODES) {
        const r = await measure(lanes, band, timer);
        results.push({ band, timer, readback, ...r });
        process.stderr.write(`${band.ms} ms ${timer}: kernel p50 ${f(percentile(r.kernel, 50))} p99 ${f(percentile(r.kernel, 99))}\n`);
      }
    }
  } finally {
    await close();
  }
  const seconds = (nowMs() - started) / 1000;
  console.log(
    `Linux ${m.kernel}, HZ=${m.hz ?? '?'} (${m.source}), ${m.cpus} CPUs, Node ${m.node}, ` +
      `load ${m.loadBefore.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}${QUICK ? ' (--quick)' : ''}`,
  );
  console.log(table(results));
  if (!QUICK) {
    const file = path.join(__dirname, '..', 'docs', 'timer-granularity.md');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, report(m, results, seconds));
    console.log(`written: ${path.relative(process.cwd(), file)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
