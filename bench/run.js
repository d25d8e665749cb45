#!/usr/bin/env node
'use strict';
// npm run bench [-- --quick] [-- --only=race,lateness] [-- --out=DIR]
// Runs every scenario against K (this package) and the userland-timer
// contenders, prints the tables, and writes bench/results/latest.{json,html,md}.
const fs = require('node:fs');
const path = require('node:path');
const { detectLoopEngine, kernelContender } = require('./contenders/kernel');
const { detectPollTimer, timeoutContenders } = require('./contenders');
const { throughputContenders } = require('./contenders/throughput');
const { cli, names } = require('./lib/args');
const { environment } = require('./lib/env');
const { progress, progressDone } = require('./lib/progress');
const { spawnPeers } = require('./peers/spawn');
const { writeHtml } = require('./report/html');
const { RESULTS, writeJson } = require('./report/json');
const { machineLine, markdown } = require('./report/tables');
const { kLoopTargets } = require('./report/targets');

const SCENARIOS = {
  lateness: () => require('./scenarios/lateness').lateness,
  race: () => require('./scenarios/race').race,
  pingpong: () => require('./scenarios/pingpong').pingpong,
  bulk: () => require('./scenarios/bulk').bulk,
  scale: () => require('./scenarios/scale').scale,
  neighbours: () => require('./scenarios/neighbours').neighbours,
  http: () => require('./scenarios/http').http,
};

/** The options; an unknown flag or scenario name exits 2 with the valid ones. */
function options() {
  const valid = Object.keys(SCENARIOS);
  const usage = `usage: node bench/run.js [--quick] [--only=${valid.join(',')}] [--out=DIR (default bench/results)]`;
  const { values } = cli(usage, {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  });
  return {
    quick: values.quick,
    only: values.only === undefined ? valid : names(values.only, valid, 'scenario', usage),
    out: values.out === undefined ? RESULTS : path.resolve(values.out),
  };
}

/** SO_RCVTIMEO set to 1 ms reads back as one jiffy: HZ = 1000 / readback. */
async function rcvtimeoReadback(port) {
  const sock = await kernelContender('K').open(port, { readTimeout: 1 });
  try {
    return sock.readTimeout;
  } finally {
    await sock.close();
  }
}

/** What the K-loop rows measure, for the report (`loop` from detectLoopEngine). */
function kLoopStatus(loop) {
  if (loop.error) return `NOT MEASURED: connect({ engine: 'loop' }) failed (${loop.error})`;
  if (loop.engine === 'loop') return 'measured (sock.engine is loop)';
  if (loop.engine === null) return 'STAND-IN: this build has no engine option, so K-loop rows measure the threads engine';
  return `STAND-IN: connect({ engine: 'loop' }) gave sock.engine = ${loop.engine}`;
}

async function main() {
  const opts = options();
  const started = Date.now();
  progress('starting the peer process');
  const peers = await spawnPeers();
  const report = { tool: 'kernel-timeout-socket bench', quick: opts.quick, startedAt: new Date(started).toISOString(), durationMs: 0, env: null, contenders: {}, scenarios: {} };
  let failed = false;
  try {
    const hasPoll = await detectPollTimer(peers.ports.silent);
    const loop = await detectLoopEngine(peers.ports.silent);
    const offered = { poll: hasPoll, loop: !loop.error };
    const contenders = timeoutContenders(offered);
    const throughput = throughputContenders(offered);
    report.env = environment(await rcvtimeoReadback(peers.ports.silent));
    report.contenders = {
      timeouts: contenders.map((c) => c.name),
      throughput: throughput.map((c) => c.name),
      kPoll: hasPoll ? 'measured' : 'not offered by this build (connect() ignores a timer option)',
      kLoop: kLoopStatus(loop),
      kLoopIsLoopEngine: loop.engine === 'loop',
    };
    for (const [i, name] of opts.only.entries()) {
      const step = `[${i + 1}/${opts.only.length}]`;
      const ctx = {
        quick: opts.quick,
        peers,
        ports: peers.ports,
        contenders,
        throughput,
        kLoopIsLoopEngine: report.contenders.kLoopIsLoopEngine,
        progress: (text) => progress(`${step} ${((Date.now() - started) / 1000).toFixed(0)} s  ${text}`),
      };
      ctx.progress(name);
      try {
        const t0 = Date.now();
        report.scenarios[name] = await SCENARIOS[name]()(ctx);
        report.scenarios[name].durationMs = Date.now() - t0;
      } catch (err) {
        failed = true;
        report.scenarios[name] = { error: String(err && err.stack ? err.stack : err) };
      }
    }
  } finally {
    await peers.stop();
  }
  report.durationMs = Date.now() - started;
  report.kLoopTargets = kLoopTargets(report);
  progressDone();
  const json = writeJson(report, path.join(opts.out, 'latest.json'));
  const html = writeHtml(report, path.join(opts.out, 'latest.html'));
  const heading = `${machineLine(report.env)}${opts.quick ? ' -- QUICK run: fewer samples, small scale N' : ''}; run took ${(report.durationMs / 1000).toFixed(0)} s\nK-loop: ${report.contenders.kLoop}`;
  const md = path.join(opts.out, 'latest.md');
  fs.writeFileSync(md, `${heading}\n\n${markdown(report)}`);
  console.log(`${heading}\n`);
  console.log(markdown(report));
  console.log(`wrote ${json}, ${html} and ${md}`);
  const kLost = (report.scenarios.race?.rows || []).filter((r) => r.kind === 'kernel' && r.lost > 0);
  if (kLost.length) {
    console.error(`KERNEL PATH LOST BYTES: ${kLost.map((r) => `${r.contender} ${r.lost}`).join(', ')}`);
    failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  progressDone();
  console.error(err);
  process.exitCode = 1;
});
