#!/usr/bin/env node
// Throughput of one large transfer over loopback through stream.pipeline:
// KernelSocketStream (toStream) against net.Socket, in the same run.
//   node bench/stream-throughput.js [MiB=256] [rounds=3]
'use strict';
const net = require('node:net');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { listen, connect } = require('../dist/index.js');
const { cli, positiveInt } = require('./lib/args');

const MiB = 1024 * 1024;
const USAGE = 'usage: node bench/stream-throughput.js [MiB=256] [rounds=3]';
const { positionals } = cli(USAGE, {}, { positionals: 2 });
const size = positiveInt(positionals[0] ?? '256', 'MiB', USAGE) * MiB;
const rounds = positiveInt(positionals[1] ?? '3', 'rounds', USAGE);
const chunk = Buffer.alloc(MiB, 7);

const source = () =>
  Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
    })(),
  );

/** Counts bytes; resolves with the total once the stream ends. */
const counter = () => {
  let n = 0;
  const w = new Writable({
    write(c, _e, cb) {
      n += c.length;
      cb();
    },
  });
  return { w, total: () => n };
};

async function kernel() {
  const server = await listen({ host: '127.0.0.1', port: 0 });
  const accepted = server.accept({ timeout: 5000 });
  const client = await connect({ host: '127.0.0.1', port: server.address().port, timeout: 5000 });
  const peer = await accepted;
  const sink = counter();
  const t = process.hrtime.bigint();
  await Promise.all([pipeline(source(), client.toStream()), pipeline(peer.toStream(), sink.w)]);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await server.close();
  if (sink.total() !== size) throw new Error(`kernel: got ${sink.total()} of ${size}`);
  return ms;
}

async function node() {
  const sink = counter();
  let done;
  const received = new Promise((r) => (done = r));
  const server = net.createServer((s) => pipeline(s, sink.w).then(done));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect(server.address().port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const t = process.hrtime.bigint();
  await Promise.all([pipeline(source(), client), received]);
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  server.close();
  if (sink.total() !== size) throw new Error(`net: got ${sink.total()} of ${size}`);
  return ms;
}

(async () => {
  const rows = { 'toStream (kernel-timeout-socket)': [], 'net.Socket': [] };
  for (let i = 0; i < rounds; i++) {
    rows['toStream (kernel-timeout-socket)'].push(await kernel());
    rows['net.Socket'].push(await node());
  }
  console.log(`${size / MiB} MiB one way over 127.0.0.1 through stream.pipeline, ${rounds} rounds (median), node ${process.version}`);
  for (const [name, times] of Object.entries(rows)) {
    const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    console.log(`${name.padEnd(34)} ${((size / MiB) / (median / 1000)).toFixed(0).padStart(6)} MiB/s  (${median.toFixed(0)} ms)`);
  }
})();
