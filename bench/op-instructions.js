'use strict';
// User-space instructions per round trip (a write + the wait for its reply),
// counted by valgrind's callgrind: steadier than CPU time on a shared,
// loaded VM, and what the JavaScript half of an op costs. The measured
// process runs N round trips twice (2 000 and 22 000); the difference over
// 20 000 cancels start-up. Instructions of V8's optimizing compiler are
// reported apart (it compiles at times of its own choosing), and left out
// of "rest". Every thread of the measured process is counted (K's owned
// threads too).
//
//   node bench/op-instructions.js [--contender=K-loop|K|net] [--size=1] [--path=waits|at-once]
//
// --contender: K-loop (engine 'loop', the default) and K (engine 'threads');
// net is a net.Socket that writes, then writes again from its 'data' handler
// once `size` bytes came back. Every contender gets the same socket options
// (lib/socket-options.js).
// --path=waits: the peer echoes each message, and K and K-loop start
// `readExactly(size)` BEFORE the write (`const r = s.readExactly(...); await
// s.write(...); await r`), so every read waits for its reply and is settled
// from the loop by the settle callback, as net's 'data' always is. (Issued
// after the write, the read mostly found its reply already there: under
// valgrind the measured process is so slow that the echo beat it, and only
// ~6% of reads waited.) --path=at-once: the peer sends 8 MiB first, and K
// and K-loop do `await write()` then `await readExactly(size)`, so every
// read finds its bytes and both ops finish within their call (K and K-loop
// only: net.Socket has no read to call, it gets what is queued in one 'data').
// Needs valgrind.
const { execFileSync, fork, spawnSync } = require('node:child_process');
const net = require('node:net');
const { cli, fail } = require('./lib/args');
const { SOCKET_OPTIONS } = require('./lib/socket-options');

const TRIPS = [2000, 22000];
const CONTENDERS = ['K-loop', 'K', 'net'];

/** The peer, in a child: echoes (waits) or floods then drains (at-once). */
function peer(path) {
  const server = net.createServer(SOCKET_OPTIONS, (s) => {
    s.on('error', () => {});
    if (path === 'waits') s.on('data', (d) => s.write(d));
    else {
      s.on('data', () => {});
      s.write(Buffer.alloc(8 << 20, 1));
    }
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('disconnect', () => process.exit(0));
}

/** net's side: `trips` writes of `size` bytes, each once `size` bytes came back. */
async function measureNet(port, trips, size) {
  const s = net.connect({ host: '127.0.0.1', port, ...SOCKET_OPTIONS });
  await new Promise((resolve, reject) => s.once('connect', resolve).once('error', reject));
  const msg = Buffer.alloc(size, 0x62);
  await new Promise((resolve) => {
    let got = 0;
    let count = 0;
    s.on('data', (d) => {
      got += d.length;
      while (got >= size) {
        got -= size;
        if (++count >= trips) return resolve();
        s.write(msg);
      }
    });
    s.write(msg);
  });
  s.destroy();
}

/** The measured process: `trips` round trips of `size` bytes. */
async function measure(contender, port, trips, size, path) {
  if (contender === 'net') return measureNet(port, trips, size);
  const kts = require('../dist/index.js');
  const engine = contender === 'K-loop' ? 'loop' : 'threads';
  const s = await kts.connect({ host: '127.0.0.1', port, timeout: 10_000, ...SOCKET_OPTIONS, engine });
  const msg = Buffer.alloc(size, 0x62);
  if (path === 'at-once') {
    await s.readExactly(4 << 20, { timeout: 10_000 }); // the rest is queued by now
    for (let i = 0; i < trips; i++) {
      await s.write(msg, { timeout: 10_000 });
      await s.readExactly(size, { timeout: 10_000 });
    }
  } else {
    // The read is pending before its message leaves, so it always waits.
    for (let i = 0; i < trips; i++) {
      const reply = s.readExactly(size, { timeout: 10_000 });
      await s.write(msg, { timeout: 10_000 });
      await reply;
    }
  }
  await s.close();
}

/** Instructions by function (callgrind_annotate, self cost) of one measured run. */
function count(contender, port, trips, size, path) {
  const out = `${require('node:os').tmpdir()}/kts-callgrind-${process.pid}-${trips}`;
  execFileSync(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, '--smc-check=all-non-file', process.execPath, __filename,
      `--contender=${contender}`, `--measure=${port}`, `--trips=${trips}`, `--size=${size}`, `--path=${path}`],
    { stdio: 'ignore' },
  );
  const text = execFileSync('callgrind_annotate', ['--threshold=100', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  require('node:fs').rmSync(out, { force: true });
  const byFn = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.*?)(?: \[\/.*\])?$/.exec(line);
    if (m) byFn.set(m[2], (byFn.get(m[2]) ?? 0) + Number(m[1].replace(/,/g, '')));
  }
  return byFn;
}

async function main() {
  const usage = 'usage: node bench/op-instructions.js [--contender=K-loop|K|net] [--size=1] [--path=waits|at-once]';
  const { values } = cli(usage, {
    contender: { type: 'string', default: 'K-loop' },
    size: { type: 'string', default: '1' },
    path: { type: 'string', default: 'waits' },
    measure: { type: 'string' },
    trips: { type: 'string' },
    peer: { type: 'boolean' },
  });
  const size = Number(values.size);
  if (!Number.isInteger(size) || size < 1 || size > 65536) fail('--size: an integer 1..65536', usage);
  if (values.path !== 'waits' && values.path !== 'at-once') fail('--path: waits or at-once', usage);
  if (!CONTENDERS.includes(values.contender)) fail(`--contender: one of ${CONTENDERS.join(', ')}`, usage);
  const contender = values.contender;
  if (contender === 'net' && values.path !== 'waits') fail('--path=at-once: K-loop and K only (net.Socket has no read to call)', usage);
  if (values.peer) return peer(values.path);
  if (values.measure) return measure(contender, Number(values.measure), Number(values.trips), size, values.path);
  if (spawnSync('sh', ['-c', 'command -v valgrind']).status !== 0) throw new Error('needs valgrind');
  const child = fork(__filename, ['--peer', `--path=${values.path}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve) => child.once('message', resolve));
  try {
    const [a, b] = TRIPS.map((t) => count(contender, port, t, size, values.path));
    const per = (k) => ((b.get(k) ?? 0) - (a.get(k) ?? 0)) / (TRIPS[1] - TRIPS[0]);
    let compiler = 0;
    const rows = [];
    for (const k of b.keys()) {
      if (k === 'PROGRAM TOTALS') continue;
      if (/compiler::|maglev|turboshaft/.test(k)) compiler += per(k);
      else rows.push([k, per(k)]);
    }
    const total = per('PROGRAM TOTALS');
    const what = contender === 'net' ? `net.Socket write + 'data' of ${size} B` : `${contender} write + readExactly(${size})`;
    console.log(`${what}, reads ${values.path}, ${process.version}: instructions per round trip`);
    console.log(`total ${total.toFixed(0)}, V8 compiler ${compiler.toFixed(0)}, rest ${(total - compiler).toFixed(0)}`);
    rows.sort((x, y) => y[1] - x[1]);
    for (const [k, v] of rows.slice(0, 25)) console.log(`${v.toFixed(0).padStart(7)}  ${k.slice(0, 120)}`);
  } finally {
    child.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
