#!/usr/bin/env node
// What a deadline change costs (issue 12): the setReadDeadline call itself,
// with no read pending and with one blocked in the kernel (then it also sets
// SO_RCVTIMEO and signals the owned thread), and how long a blocked read
// takes to reject after its deadline is moved into the past (the wake-up:
// signal, EINTR, one non-blocking recv, delivery to JavaScript). Per timer
// mode, on an idle loopback connection.
//
//   node bench/retime.js [--samples N]   prints a Markdown table
//
// Standalone: needs only the built package (npm ci). Plain JavaScript.
'use strict';

const { readdirSync, readFileSync } = require('node:fs');
const { connect, listen } = require('../dist/index.js');
const { cli, positiveInt } = require('./lib/args');

const USAGE = 'usage: node bench/retime.js [--samples N (default 300)]';
const { values } = cli(USAGE, { samples: { type: 'string', default: '300' } });
const SAMPLES = positiveInt(values.samples, '--samples', USAGE);
const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

// A thread of this process asleep in syscall nr (x86_64 recvfrom 45, ppoll 271).
const NR = process.arch === 'arm64' ? { sockopt: 207, poll: 73 } : { sockopt: 45, poll: 271 };
async function blocked(nr) {
  for (let i = 0; i < 5000; i++) {
    for (const t of readdirSync('/proc/self/task')) {
      let s = '';
      try {
        s = readFileSync(`/proc/self/task/${t}/syscall`, 'utf8');
      } catch {}
      if (Number(s.split(' ')[0]) === nr) return;
    }
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('read never blocked');
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs) => `${pct(xs, 50).toFixed(1)} / ${pct(xs, 99).toFixed(1)}`;

async function main() {
  const server = await listen({ host: '127.0.0.1', port: 0 });
  const rows = [];
  for (const timer of ['sockopt', 'poll']) {
    const accepted = server.accept({ timeout: 5000 });
    const sock = await connect({ host: '127.0.0.1', port: server.address().port, timeout: 5000, timer });
    const peer = await accepted;
    const idle = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = now();
      sock.setReadDeadline(Date.now() + 60_000);
      idle.push(now() - t0);
    }
    const call = [];
    const wake = [];
    for (let i = 0; i < SAMPLES; i++) {
      sock.setReadDeadline(null);
      const pending = sock.read(10, { timeout: 60_000 }).catch((e) => e);
      await blocked(NR[timer]);
      const t0 = now();
      sock.setReadDeadline(Date.now() - 1);
      const t1 = now();
      const err = await pending;
      const t2 = now();
      if (err.code !== 'ERR_SOCKET_READ_TIMEOUT') throw new Error(`sample ${i}: ${err}`);
      call.push(t1 - t0);
      wake.push(t2 - t0);
    }
    rows.push(`| ${timer} | ${fmt(idle)} | ${fmt(call)} | ${fmt(wake)} |`);
    await Promise.all([sock.close(), peer.close()]);
  }
  await server.close();
  console.log(`${SAMPLES} samples per mode, p50 / p99 in µs (${process.arch}, ${require('node:os').cpus().length} CPUs, load ${require('node:os').loadavg()[0].toFixed(1)})\n`);
  console.log('| timer | setReadDeadline, nothing pending | setReadDeadline, read blocked | blocked read rejects after |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
