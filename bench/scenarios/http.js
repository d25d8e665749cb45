'use strict';
// Scenario 7: HTTP keep-alive GETs per second served by createServer()
// (K-threads, K-loop) against stock http.createServer in the same run:
// 1 and 16 connections, a 2-byte and a 4 KiB body, the client in a child
// process (bench/peers/http-client.js) so this process runs only the server.
const { fork } = require('node:child_process');
const { once } = require('node:events');
const http = require('node:http');
const path = require('node:path');
const kts = require('../../dist/index.js');
const { rotate } = require('../lib/rounds');
const { median, ratio, round } = require('../lib/stats');

const BODIES = { 2: Buffer.from('ok'), 4096: Buffer.alloc(4096, 0x68) };

const SERVERS = [
  { name: 'http', make: (listener) => http.createServer(listener) },
  { name: 'K', make: (listener) => kts.createServer({ engine: 'threads' }, listener) },
  { name: 'K-loop', make: (listener) => kts.createServer({ engine: 'loop' }, listener) },
];

function handler(req, res) {
  res.end(BODIES[req.url.slice(1)] ?? BODIES[2]);
}

async function started(s) {
  const server = s.make(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function stopped(server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** One round: requests per second of `server` with the client's cell. */
async function measure(client, server, cell, windowMs) {
  const { port } = server.address();
  const ask = async (ms) => {
    client.send({ port, path: `/${cell.bodyBytes}`, conns: cell.connections, windowMs: ms });
    const [reply] = await once(client, 'message');
    return reply.requests;
  };
  await ask(windowMs / 5); // warm-up
  return ((await ask(windowMs)) * 1000) / windowMs;
}

async function httpScenario(ctx) {
  const rounds = ctx.quick ? 1 : 3;
  const windowMs = ctx.quick ? 150 : 2000;
  const client = fork(path.join(__dirname, '..', 'peers', 'http-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const rows = [];
  try {
    for (const connections of [1, 16]) {
      for (const bodyBytes of [2, 4096]) {
        const cell = { connections, bodyBytes, results: [] };
        const runs = new Map(SERVERS.map((s) => [s.name, []]));
        for (let r = 0; r < rounds; r++) {
          for (const s of rotate(SERVERS, r)) {
            ctx.progress(`http: ${connections} conn, ${bodyBytes} B, ${s.name} (round ${r + 1}/${rounds})`);
            const server = await started(s);
            try {
              runs.get(s.name).push(await measure(client, server, cell, windowMs));
            } finally {
              await stopped(server);
            }
          }
        }
        for (const [name, values] of runs) {
          cell.results.push({ contender: name, requestsPerSec: round(Math.max(...values), 0), median: round(median(values), 0), rounds: values.map((v) => round(v, 0)) });
        }
        const base = cell.results.find((x) => x.contender === 'http');
        for (const x of cell.results) {
          x.ratioToHttp = ratio(x.requestsPerSec, base.requestsPerSec);
          x.ratioToHttpMedian = ratio(x.median, base.median);
        }
        rows.push(cell);
      }
    }
  } finally {
    client.disconnect();
  }
  return { rounds, windowMs, rows };
}

module.exports = { http: httpScenario };
