'use strict';
// Scenario 6: how long fs.readFile and dns.lookup('localhost') take while
// 64 socket reads block, with nothing blocking (baseline), with K and
// K-loop, and with the naive design (a blocking read as an AsyncWorker on
// libuv's threadpool, built by naive/build.js).
const dns = require('node:dns');
const fs = require('node:fs');
const path = require('node:path');
const { loadNaive } = require('../naive/build');
const { nowMs } = require('../lib/clock');
const { median, round } = require('../lib/stats');

const READS = 64;
const FILE = path.join(__dirname, '..', '..', 'package.json');

function timed(start, fn) {
  return new Promise((resolve) => fn(() => resolve(nowMs() - start)));
}

/** Starts READS blocked reads for one design; resolves to { done: Promise, cleanup }. */
async function blockReads(design, ctx, naive, timeout) {
  if (design === 'none') return { done: Promise.resolve(), cleanup: async () => {} };
  const k = ctx.contenders.find((c) => c.name === design);
  if (k) {
    const socks = await Promise.all(Array.from({ length: READS }, () => k.open(ctx.ports.silent)));
    const done = Promise.all(socks.map((s) => k.readOnce(s, timeout)));
    return { done, cleanup: () => Promise.all(socks.map((s) => k.close(s))) };
  }
  const fds = Array.from({ length: READS }, () => naive.connectLoopback(ctx.ports.silent));
  const done = Promise.all(fds.map((fd) => new Promise((resolve) => naive.read(fd, timeout, resolve))));
  return { done, cleanup: async () => fds.forEach((fd) => naive.close(fd)) };
}

async function neighbours(ctx) {
  const timeout = ctx.quick ? 100 : 200;
  const reps = ctx.quick ? 1 : 3;
  ctx.progress('neighbours: building the naive AsyncWorker addon');
  const naive = await loadNaive();
  const kernel = ['K', 'K-loop'].filter((name) => ctx.contenders.some((c) => c.name === name));
  const designs = ['none', ...kernel, ...(naive.addon ? ['naive'] : [])];
  // Warm both paths once (first open of the file, first lookup) so the
  // baseline measures the call, not a cold start.
  await Promise.all([timed(nowMs(), (cb) => fs.readFile(FILE, cb)), timed(nowMs(), (cb) => dns.lookup('localhost', cb))]);
  const rows = [];
  for (const design of designs) {
    const file = [];
    const lookup = [];
    const allReads = [];
    for (let r = 0; r < reps; r++) {
      ctx.progress(`neighbours: ${design}, ${READS} blocked reads, rep ${r + 1}/${reps}`);
      const start = nowMs();
      const blocked = await blockReads(design, ctx, naive.addon, timeout);
      const t = nowMs();
      const [f, l] = await Promise.all([
        timed(t, (cb) => fs.readFile(FILE, cb)),
        timed(t, (cb) => dns.lookup('localhost', cb)),
      ]);
      await blocked.done;
      allReads.push(nowMs() - start);
      await blocked.cleanup();
      file.push(f);
      lookup.push(l);
    }
    rows.push({
      design,
      readFileMs: round(median(file), 2),
      dnsLookupMs: round(median(lookup), 2),
      allReadsDoneMs: design === 'none' ? null : round(median(allReads), 0),
      samples: { readFileMs: file.map((x) => round(x, 2)), dnsLookupMs: lookup.map((x) => round(x, 2)) },
    });
  }
  return {
    blockedReads: READS,
    readTimeoutMs: timeout,
    threadpoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4,
    naive: naive.addon ? 'built' : `unavailable: ${naive.error}`,
    rows,
  };
}

module.exports = { neighbours };
