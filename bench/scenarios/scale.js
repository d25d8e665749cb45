'use strict';
// Scenario 5: N connections, each with a pending read and a 1 s timeout,
// all left to time out, for every timeout contender and U2-reject (the
// fair baseline, run here only: contenders/userland.js). N = 1000, 5000 and the
// largest N the fd limit allows; one child process per contender and N (see
// scale/holder.js), so RSS and threads are that contender's alone; the peer
// child holds the other ends. K-loop runs twice: as a user gets it by
// default, and as K-loop-rt, opted in to a real-time deadline thread
// (KTS_DEADLINE_PRIORITY, docs/API.md), which the holder reports as skipped
// when the kernel refuses it.
const { fork, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { scaleOnlyContenders } = require('../contenders/userland');
const { fdLimits } = require('../lib/fd-limit');
const { ratio } = require('../lib/stats');

const TIMEOUT_MS = 1000;
const HOLDER = path.join(__dirname, '..', 'scale', 'holder.js');
// fds a holder (or the peer child) needs beyond its N connections.
const FD_SPARE = 1000;
// Threads left free for everything else on the machine when a contender
// holds one thread per pending read.
const THREAD_SPARE = 4000;
// The userland reference for the RSS target: net.Socket + setTimeout
// rejecting with an Error (contenders/userland.js), the fair baseline.
const RSS_REFERENCE = 'U2-reject';
// Left out at the largest N to keep the run short: K-poll holds one thread
// per read as K does (measured at the smaller N, within 1 MB of K's RSS).
const NOT_AT_TOP = ['K-poll'];
// K-loop with its deadline thread under SCHED_FIFO at this priority: the
// lowest, above every ordinary thread and below the kernel's threaded
// interrupt handlers (50).
const RT = { name: 'K-loop-rt', variable: 'KTS_DEADLINE_PRIORITY', priority: 1 };

const hasPrlimit = () => spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Starts a holder child. Its soft RLIMIT_NOFILE is set to the hard limit
 * with prlimit(1) where that exists (Node also raises it at startup; this
 * does not depend on that).
 */
function startHolder(args, hard, prlimit, env) {
  const stdio = ['ignore', 'inherit', 'inherit', 'ipc'];
  if (prlimit && Number.isFinite(hard)) {
    return spawn('prlimit', [`--nofile=${hard}:${hard}`, '--', process.execPath, HOLDER, ...args], { stdio, env });
  }
  return fork(HOLDER, args, { stdio, env });
}

/** The holder's environment: the real-time priority for K-loop-rt only, so K-loop is what a user gets by default. */
function holderEnv(name) {
  const env = { ...process.env };
  delete env[RT.variable];
  if (name === RT.name) env[RT.variable] = String(RT.priority);
  return env;
}

function hold(name, n, ports, limits, prlimit) {
  return new Promise((resolve) => {
    const child = startHolder([name, String(n), ports.join(','), String(TIMEOUT_MS)], limits && limits.hard, prlimit, holderEnv(name));
    let result = { contender: name, connections: n, error: 'no result (killed after 120 s)' };
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('message', (m) => (result = m));
    child.once('error', (err) => (result = { contender: name, connections: n, error: String(err) }));
    child.on('exit', () => {
      clearTimeout(kill);
      resolve(result);
    });
  });
}

/** The largest N (a multiple of 1000) that both this process and the peer child can hold. */
function largestN(limits, peerFdLimit) {
  const ceiling = Math.min(limits ? limits.hard : 0, peerFdLimit || 0);
  if (!Number.isFinite(ceiling)) return 19_000;
  return Math.floor((ceiling - FD_SPARE) / 1000) * 1000;
}

/** Threads the machine can still create: min(pid_max, threads-max) - threads running now. */
function threadHeadroom() {
  try {
    const read = (f) => Number(fs.readFileSync(f, 'latin1').trim());
    const limit = Math.min(read('/proc/sys/kernel/pid_max'), read('/proc/sys/kernel/threads-max'));
    const running = Number(fs.readFileSync('/proc/loadavg', 'latin1').split(' ')[3].split('/')[1]);
    return limit - running;
  } catch {
    return Infinity;
  }
}

/** The timeout contenders, with K-loop-rt after K-loop where K-loop is the loop engine (the variable is the loop engine's). */
function contendersOf(ctx) {
  const out = [];
  for (const c of ctx.contenders) {
    out.push(c);
    if (c.name === 'K-loop' && ctx.kLoopIsLoopEngine) out.push({ name: RT.name });
  }
  return [...out, ...scaleOnlyContenders()];
}

/** Whether a contender holds one owned thread per pending read. */
function threadPerOp(name, ctx) {
  if (name === 'K-loop' || name === RT.name) return !ctx.kLoopIsLoopEngine;
  return name === 'K' || name === 'K-poll';
}

async function scale(ctx) {
  const limits = fdLimits();
  const top = largestN(limits, ctx.peers.fdLimit);
  const sizes = ctx.quick ? [200] : [1000, 5000, ...(top > 5000 ? [top] : [])];
  const prlimit = hasPrlimit();
  const rows = [];
  for (const n of sizes) {
    const atN = [];
    for (const c of contendersOf(ctx)) {
      if (n === top && n > 5000 && NOT_AT_TOP.includes(c.name)) {
        atN.push({ contender: c.name, connections: n, skipped: 'left out at the largest N to keep the run short (one thread per read, as K)' });
        continue;
      }
      const headroom = threadHeadroom();
      if (threadPerOp(c.name, ctx) && headroom < n + THREAD_SPARE) {
        atN.push({ contender: c.name, connections: n, skipped: `needs ${n} threads; the machine has room for ${headroom} more (pid_max/threads-max), keeping ${THREAD_SPARE} spare` });
        continue;
      }
      ctx.progress(`scale: ${c.name}, ${n} pending reads`);
      atN.push(await hold(c.name, n, ctx.ports.scale, limits, prlimit));
    }
    const ref = atN.find((r) => r.contender === RSS_REFERENCE && !r.error && !r.skipped);
    for (const r of atN) r.rssRatioToReference = ref && !r.error && !r.skipped ? ratio(r.peakRssMB, ref.peakRssMB) : null;
    rows.push(...atN);
  }
  return {
    timeoutMs: TIMEOUT_MS,
    sizes,
    fdLimit: limits,
    peerFdLimit: ctx.peers.fdLimit,
    rssReference: RSS_REFERENCE,
    realtime: { contender: RT.name, variable: RT.variable, priority: RT.priority },
    note: ctx.quick ? 'quick: N=200 only (full run: 1000, 5000 and the largest N the fd limit allows)' : null,
    rows,
  };
}

module.exports = { scale };
