'use strict';
// What one MiB of bulk transfer costs the process that moves it, per
// contender (net, K, K-loop), both directions: the bulk scenario's transfer
// (contenders/throughput.js: 64 KiB reads until all came, awaited 64 KiB
// writes) in a process of its own, the peer (peers/child.js) in
// another. Per run: CPU µs per MiB (process.cpuUsage, user + system, all
// threads; and the user part alone, where the addon's own work shows
// beside the kernel's copies), minor page faults per MiB (memory the
// process touched for the first time), peak RSS, and MiB/s. Rounds
// interleave the contenders and the medians are reported: CPU per MiB
// moves less with the machine's load than the MiB/s of one round, but on
// a loaded shared 2-core VM single runs still spread 20-40 %.
//
//   node bench/bulk-cost.js [--mib=256] [--rounds=5] [--only=net,K,K-loop]
//
// Prints one Markdown table on stdout (docs/benchmark-results.md keeps one).
const { execFileSync, fork } = require('node:child_process');
const path = require('node:path');
const { cli, positiveInt } = require('./lib/args');
const { nowMs } = require('./lib/clock');
const { median, round } = require('./lib/stats');
const { throughputContenders } = require('./contenders/throughput');

const USAGE = 'usage: node bench/bulk-cost.js [--mib=256] [--rounds=5] [--only=net,K,K-loop]';
const CONTENDERS = ['net', 'K', 'K-loop'];
const CHUNK = 64 * 1024;

const contender = (name) => throughputContenders({ poll: false, loop: true }).find((c) => c.name === name);

/** The measured process: moves `mib` MiB one way and prints one JSON line. */
async function measure(name, port, direction, mib) {
  const c = contender(name);
  const size = mib * 2 ** 20;
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(size));
  const chunk = Buffer.alloc(CHUNK, 0x63);
  const sock = await c.open(port);
  const before = process.resourceUsage();
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  const { bytes: moved } = direction === 'download' ? await c.download(sock, header, size) : await c.upload(sock, header, chunk, size);
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = process.resourceUsage();
  await c.close(sock);
  if (moved !== size) throw new Error(`${name} ${direction}: moved ${moved} of ${size} bytes`);
  process.stdout.write(
    `${JSON.stringify({
      cpuUsPerMiB: (cpu.user + cpu.system) / mib,
      userUsPerMiB: cpu.user / mib,
      faultsPerMiB: (after.minorPageFault - before.minorPageFault) / mib,
      maxRssMB: after.maxRSS / 1024,
      mibPerSec: mib / (ms / 1000),
    })}\n`,
  );
}

async function main() {
  const { values } = cli(USAGE, {
    mib: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '5' },
    only: { type: 'string', default: CONTENDERS.join(',') },
    measure: { type: 'string' },
    port: { type: 'string' },
    direction: { type: 'string' },
  });
  const mib = positiveInt(values.mib, '--mib', USAGE);
  const rounds = positiveInt(values.rounds, '--rounds', USAGE);
  if (values.measure) return measure(values.measure, positiveInt(values.port, '--port', USAGE), values.direction, mib);
  const names = values.only.split(',');
  for (const n of names) if (!CONTENDERS.includes(n)) throw new RangeError(`--only: one of ${CONTENDERS.join(', ')}`);

  const peer = fork(path.join(__dirname, 'peers', 'child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { ports } = await new Promise((resolve) => peer.once('message', resolve));
  const runs = new Map();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const direction of ['download', 'upload']) {
        // Each round starts with the next contender, as the bench's rounds do.
        for (let i = 0; i < names.length; i++) {
          const name = names[(i + r) % names.length];
          const port = direction === 'download' ? ports.source : ports.sink;
          const args = [__filename, `--measure=${name}`, `--port=${port}`, `--direction=${direction}`, `--mib=${mib}`];
          const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
          const key = `${direction} ${name}`;
          if (!runs.has(key)) runs.set(key, []);
          runs.get(key).push(out);
          process.stderr.write(`bulk-cost: round ${r + 1}/${rounds}, ${key}\n`);
        }
      }
    }
  } finally {
    peer.disconnect();
  }
  const med = (list, k) => round(median(list.map((x) => x[k])), 1);
  console.log(`${mib} MiB each way in 64 KiB operations, peer in another process, ${rounds} rounds, medians; ${process.version}; load average ${require('node:os').loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| direction | contender | CPU µs per MiB | x net | user µs per MiB | minor faults per MiB | peak RSS MB | MiB/s |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const direction of ['download', 'upload']) {
    const base = runs.get(`${direction} net`);
    for (const name of names) {
      const list = runs.get(`${direction} ${name}`);
      const cpu = med(list, 'cpuUsPerMiB');
      const x = base ? `${(cpu / med(base, 'cpuUsPerMiB')).toFixed(2)}x` : '-';
      console.log(`| ${direction} | ${name} | ${cpu} | ${x} | ${med(list, 'userUsPerMiB')} | ${med(list, 'faultsPerMiB')} | ${med(list, 'maxRssMB')} | ${med(list, 'mibPerSec')} |`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
