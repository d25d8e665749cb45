'use strict';
// Scenario 7: HTTP keep-alive GETs per second served by createServer()
// (K-threads, K-loop) against stock http.createServer in the same run:
// 1 and 16 connections, a 2-byte and a 4 KiB body, the client in a child
// process (bench/peers/http-client.js) so this process runs only the server.
// The same cells over TLS (tlsRows): createSecureServer() against stock
// https.createServer, with a certificate the openssl CLI makes for the run
// (skipped without it).
const { fork, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const os = require('node:os');
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

/** The TLS contenders, with `pair` ({ key, cert }) for their certificate. */
const secureServers = (pair) => [
  { name: 'https', make: (listener) => https.createServer(pair, listener) },
  { name: 'K', make: (listener) => kts.createSecureServer({ ...pair, engine: 'threads' }, listener) },
  { name: 'K-loop', make: (listener) => kts.createSecureServer({ ...pair, engine: 'loop' }, listener) },
];

/** A self-signed key and certificate from the openssl CLI, or null without it. */
function selfSigned() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-bench-tls-'));
  try {
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
    const r = spawnSync('openssl', [...args, '-keyout', key, '-out', cert, '-subj', '/CN=localhost'], { timeout: 20_000 });
    return r.status === 0 ? { key: fs.readFileSync(key), cert: fs.readFileSync(cert) } : null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

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
    client.send({ port, path: `/${cell.bodyBytes}`, conns: cell.connections, windowMs: ms, tls: cell.tls });
    const [reply] = await once(client, 'message');
    return reply.requests;
  };
  await ask(windowMs / 5); // warm-up
  return ((await ask(windowMs)) * 1000) / windowMs;
}

/** The four cells (1 and 16 connections, 2 B and 4 KiB) for `servers`, each with its ratio to `servers[0]`. */
async function cells(ctx, client, servers, tls) {
  const rounds = ctx.quick ? 1 : 3;
  const windowMs = ctx.quick ? 150 : 2000;
  const rows = [];
  for (const connections of [1, 16]) {
    for (const bodyBytes of [2, 4096]) {
      const cell = { connections, bodyBytes, tls, results: [] };
      const runs = new Map(servers.map((s) => [s.name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const s of rotate(servers, r)) {
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
      const base = cell.results[0];
      for (const x of cell.results) {
        x.ratioToHttp = ratio(x.requestsPerSec, base.requestsPerSec);
        x.ratioToHttpMedian = ratio(x.median, base.median);
      }
      rows.push(cell);
    }
  }
  return { rounds, windowMs, rows };
}

async function httpScenario(ctx) {
  const client = fork(path.join(__dirname, '..', 'peers', 'http-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const plain = await cells(ctx, client, SERVERS, false);
    const pair = selfSigned();
    if (pair === null) return { ...plain, tlsSkipped: 'no openssl CLI to make a certificate' };
    return { ...plain, tlsRows: (await cells(ctx, client, secureServers(pair), true)).rows };
  } finally {
    client.disconnect();
  }
}

module.exports = { http: httpScenario };
