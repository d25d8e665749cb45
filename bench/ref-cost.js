#!/usr/bin/env node
// What ref()/unref() cost with many reads pending in the process (pools
// call them on every checkout): the cost must not grow with the number of
// pending ops. PENDING reads wait (one per lane in the kernel, the rest
// queued) on SOCKETS idle connections; then one more socket's setRef is
// flipped SAMPLES times. Per engine, on loopback.
//
//   node bench/ref-cost.js [--pending=N] [--samples=N] [package-dir]
//
// package-dir (default: this package) lets the same run measure another
// build. Standalone: needs only the built package (npm ci). Plain JavaScript.
'use strict';

const { resolve } = require('node:path');
const { cli, positiveInt } = require('./lib/args');

const USAGE = 'usage: node bench/ref-cost.js [--pending=8000] [--samples=2000] [package-dir]';
const { values, positionals } = cli(
  USAGE,
  { pending: { type: 'string', default: '8000' }, samples: { type: 'string', default: '2000' } },
  { positionals: 1 },
);
const PENDING = positiveInt(values.pending, '--pending', USAGE);
const SAMPLES = positiveInt(values.samples, '--samples', USAGE);
const SOCKETS = 40;
const dir = positionals.length > 0 ? resolve(positionals[0]) : resolve(__dirname, '..');
const { connect, listen } = require(resolve(dir, 'dist', 'index.js'));

const now = () => Number(process.hrtime.bigint()) / 1e3; // µs

async function measure(engine) {
  const server = await listen({ host: '127.0.0.1', port: 0, engine });
  const port = server.address().port;
  const socks = [];
  const peers = [];
  for (let i = 0; i <= SOCKETS; i++) {
    const accepted = server.accept({ timeout: 5000 });
    socks.push(await connect({ host: '127.0.0.1', port, timeout: 5000, engine }));
    peers.push(await accepted);
  }
  const probe = socks.pop();
  const reads = [];
  for (let i = 0; i < PENDING; i++) reads.push(socks[i % SOCKETS].read(16).catch(() => undefined));
  reads.push(probe.read(16).catch(() => undefined));
  const t0 = now();
  for (let i = 0; i < SAMPLES; i++) {
    probe.setRef(false);
    probe.setRef(true);
  }
  const perCall = (now() - t0) / (2 * SAMPLES);
  for (const s of [...socks, probe, ...peers]) await s.close();
  await Promise.all(reads);
  await server.close();
  return perCall;
}

async function main() {
  console.log(`| engine | µs per setRef call, ${PENDING} reads pending |`);
  console.log('| --- | --- |');
  for (const engine of ['threads', 'loop']) console.log(`| ${engine} | ${(await measure(engine)).toFixed(2)} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
