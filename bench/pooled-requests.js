#!/usr/bin/env node
// Sequential requests over one pooled keep-alive connection: http.Agent
// with net.Socket against the same Agent dialing createConnection() (with
// replyTimeout), in the same run, against one http.createServer here.
//   node bench/pooled-requests.js [requests=2000] [rounds=3]
'use strict';
const http = require('node:http');
const { createConnection } = require('../dist/index.js');
const { cli, positiveInt } = require('./lib/args');

const USAGE = 'usage: node bench/pooled-requests.js [requests=2000] [rounds=3]';
const { positionals } = cli(USAGE, {}, { positionals: 2 });
const requests = positiveInt(positionals[0] ?? '2000', 'requests', USAGE);
const rounds = positiveInt(positionals[1] ?? '3', 'rounds', USAGE);

function agentFor(kind) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  if (kind === 'kernel') {
    agent.createConnection = (o) => createConnection({ host: o.host, port: o.port, replyTimeout: 5000 });
  }
  return agent;
}

function get(agent, port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}

async function run(kind, port) {
  const agent = agentFor(kind);
  await get(agent, port); // dial outside the timing
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) await get(agent, port);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / requests;
  agent.destroy();
  return us;
}

(async () => {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const rows = { 'net.Socket': [], 'createConnection (kernel)': [] };
  for (let r = 0; r < rounds; r++) {
    rows['net.Socket'].push(await run('net', port));
    rows['createConnection (kernel)'].push(await run('kernel', port));
  }
  console.log(`${requests} sequential GETs on one keep-alive connection, µs per request (median of ${rounds} rounds)`);
  for (const [name, v] of Object.entries(rows)) {
    const sorted = [...v].sort((a, b) => a - b);
    console.log(`${name.padEnd(28)} ${sorted[Math.floor(sorted.length / 2)].toFixed(1)}  (rounds: ${v.map((x) => x.toFixed(1)).join(', ')})`);
  }
  server.close();
})();
