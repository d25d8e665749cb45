'use strict';
// Where an HTTP server's time goes per request, per server kind (stock
// http, K-loop, K): keep-alive GETs on one connection with a 2-byte body,
// the client (bench/peers/http-client.js) in its own process, each server
// alone in its own process. After a warm-up the server process measures
// the run of --requests requests, twice (profiler off, then on):
// - wall µs per request (the client's one request in flight: its latency),
//   CPU µs per request (process.cpuUsage: user + system, all its threads)
//   and garbage collections per 10 000 requests (a gc PerformanceObserver),
//   from the run without the profiler (the profiler's own cost is large);
// - the JS thread's busy time split by self time of the V8 CPU profiler
//   (node:inspector, 100 µs sampling; idle samples left out), in % of the
//   busy samples, grouped: http (node's _http_* modules and the parser they
//   call), node streams/net/events, this package (dist/, compiled from
//   lib/), N-API/addon (native functions the package calls: the addon's
//   methods, the N-API glue and the syscalls they make), GC, other
//   ("(program)": native work outside any JS frame, e.g. libuv and a
//   callback's way into JS; the rest of node). A native function that is
//   not the addon's is charged to its caller's group, syscalls included
//   (net.Socket's writes are in streams/net/events).
// --top=N also prints each server's N largest self-time functions to stderr.
//
//   node bench/http-cost.js [--requests=20000] [--only=http,K-loop,K] [--body=2] [--top=0]
//
// Prints one Markdown table on stdout (docs/benchmark-results.md keeps one).
const { fork } = require('node:child_process');
const { once } = require('node:events');
const http = require('node:http');
const path = require('node:path');
const { PerformanceObserver } = require('node:perf_hooks');
const { cli, names, positiveInt } = require('./lib/args');

const SERVERS = ['http', 'K-loop', 'K'];
const BUCKETS = ['http', 'streams/net/events', 'package', 'N-API/addon', 'GC', 'other'];
const WARMUP = 3000;
const SAMPLING_US = 100;
const DIST = path.join(__dirname, '..', 'dist') + path.sep;
const USAGE = `usage: node bench/http-cost.js [--requests=20000] [--only=${SERVERS.join(',')}] [--body=2 (bytes)] [--top=0]`;

function makeServer(name, body) {
  const handler = (_req, res) => res.end(body);
  if (name === 'http') return http.createServer(handler);
  const kts = require('../dist/index.js');
  return kts.createServer({ engine: name === 'K-loop' ? 'loop' : 'threads' }, handler);
}

/** The bucket of a profile node's own code; null for a native callee (its caller decides). */
function bucketOf(frame) {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)' || fn === '(root)') return 'other';
  if (url === '') return null;
  if (url.startsWith(DIST) || url.startsWith(`file://${DIST}`)) return 'package';
  if (/^node:(_http_|internal\/http)/.test(url)) return 'http';
  if (/^node:(net|events|stream|internal\/streams|internal\/stream_base_commons)/.test(url)) return 'streams/net/events';
  return 'other';
}

/** A profile frame as `name url:line`, dist/ for the package's files. */
function where({ functionName, url, lineNumber }) {
  return `${functionName || '(anonymous)'} ${url.replace(`file://${DIST}`, 'dist/')}:${lineNumber + 1}`;
}

/** Self time (samples) per bucket; idle samples are dropped. */
function buckets(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const out = Object.fromEntries(BUCKETS.map((b) => [b, 0]));
  const fns = new Map();
  let busy = 0;
  for (const [id, hits] of counts) {
    const node = byId.get(id);
    if (node.callFrame.functionName === '(idle)') continue;
    busy += hits;
    let b = bucketOf(node.callFrame);
    let via = '';
    if (b === null) {
      // A native function (a builtin, a node binding or the addon's): charged
      // to the first caller with a bucket, except that under the package it
      // is the addon and its N-API glue.
      let up = parent.get(id);
      while (up !== undefined && bucketOf(byId.get(up).callFrame) === null) up = parent.get(up);
      const caller = up === undefined ? 'other' : bucketOf(byId.get(up).callFrame);
      b = caller === 'package' ? 'N-API/addon' : caller;
      via = up === undefined ? '' : ` called from ${where(byId.get(up).callFrame)}`;
    }
    out[b] += hits;
    // V8 names every N-API function after one of them: the caller tells them apart.
    const key = `${b}: ${where(node.callFrame)}${via}`;
    fns.set(key, (fns.get(key) ?? 0) + hits);
  }
  return { out, busy, fns };
}

/** The server process: listens, then on 'start'/'stop' measures the run between them. */
function serve(name, body) {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
  let gcs = 0;
  new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
  const server = makeServer(name, body);
  let cpu0;
  let profiling = false;
  process.on('message', async (msg) => {
    if (msg.cmd === 'start') {
      profiling = msg.profile;
      if (profiling) {
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: SAMPLING_US });
        await post('Profiler.start');
      }
      gcs = 0;
      cpu0 = process.cpuUsage();
      process.send({ started: true });
    } else if (msg.cmd === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      const n = msg.requests;
      const result = { userUs: cpu.user / n, sysUs: cpu.system / n };
      if (profiling) {
        const { profile } = await post('Profiler.stop');
        const { out, busy, fns } = buckets(profile);
        result.shares = Object.fromEntries(BUCKETS.map((b) => [b, (100 * out[b]) / busy]));
        result.top = [...fns].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, (100 * v) / busy]);
      }
      await new Promise((resolve) => setImmediate(resolve)); // let the gc observer report
      result.gcPer10k = (gcs * 10_000) / n;
      process.send(result);
    }
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

async function ask(child, msg) {
  child.send(msg);
  const [reply] = await once(child, 'message');
  return reply;
}

/** One server process: warm-up, a plain run, a profiled run. */
async function measure(name, client, requests, bodyBytes) {
  const server = fork(__filename, [`--serve=${name}`, `--body=${bodyBytes}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await once(server, 'message').then(([m]) => m);
    const drive = async (n) => {
      const { requests: served } = await ask(client, { port, path: `/${bodyBytes}`, conns: 1, windowMs: 600_000, requests: n });
      if (served !== n) throw new Error(`${name}: ${served} of ${n} requests answered`);
    };
    const run = async (profile) => {
      await ask(server, { cmd: 'start', profile });
      const t0 = process.hrtime.bigint();
      await drive(requests);
      const wallUs = Number(process.hrtime.bigint() - t0) / 1e3 / requests;
      return { ...(await ask(server, { cmd: 'stop', requests })), wallUs };
    };
    await drive(WARMUP);
    const plain = await run(false);
    const { shares, top } = await run(true);
    return { ...plain, shares, top };
  } finally {
    server.kill();
  }
}

async function main() {
  const { values } = cli(USAGE, {
    requests: { type: 'string', default: '20000' },
    only: { type: 'string', default: SERVERS.join(',') },
    body: { type: 'string', default: '2' },
    top: { type: 'string', default: '0' },
    serve: { type: 'string' },
  });
  const bodyBytes = positiveInt(values.body, '--body', USAGE);
  if (values.serve !== undefined) return serve(names(values.serve, SERVERS, 'server', USAGE)[0], Buffer.alloc(bodyBytes, 0x68));
  const requests = positiveInt(values.requests, '--requests', USAGE);
  const top = values.top === '0' ? 0 : positiveInt(values.top, '--top', USAGE);
  const only = names(values.only, SERVERS, 'server', USAGE);
  const client = fork(path.join(__dirname, 'peers', 'http-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const rows = [];
  try {
    for (const name of only) {
      const r = await measure(name, client, requests, bodyBytes);
      const cpu = r.userUs + r.sysUs;
      const parts = BUCKETS.map((b) => `${r.shares[b].toFixed(0)} %`);
      rows.push(`| ${name} | ${r.wallUs.toFixed(1)} | ${cpu.toFixed(1)} (${r.userUs.toFixed(1)} + ${r.sysUs.toFixed(1)}) | ${parts.join(' | ')} | ${r.gcPer10k.toFixed(1)} |`);
      for (const [fn, pct] of r.top.slice(0, top)) process.stderr.write(`  ${name} ${pct.toFixed(1)} % ${fn}\n`);
      process.stderr.write(`http-cost: ${name} done\n`);
    }
  } finally {
    client.disconnect();
  }
  console.log(`${requests} keep-alive GETs of a ${bodyBytes} B body on one connection, client in another process, ${process.version}`);
  console.log('Per request, profiler off: wall µs (one request in flight) and CPU µs of the server process (all its threads);');
  console.log('then its JS thread by CPU-profiler self time, % of busy samples\n');
  console.log(`| server | wall µs | CPU µs (user + sys) | ${BUCKETS.join(' | ')} | GCs per 10k |`);
  console.log(`| --- | --- | --- | ${BUCKETS.map(() => '---').join(' | ')} | --- |`);
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
