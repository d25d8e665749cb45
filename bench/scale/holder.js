'use strict';
// Child process of the scale scenario: holds N connections of one
// contender, each with one pending read and a 1 s timeout, and reports
// lateness (and EARLY firings), peak RSS, threads and CPU time while
// waiting (its own process, so RSS and threads are this contender's alone).
// argv: <contender> <N> <port,port,...> <timeoutMs>: the connections go to
// the ports in turn (see SCALE_PORTS in peers/servers.js).
// K-loop-rt is K-loop run with KTS_DEADLINE_PRIORITY set (by scale.js): it
// reports itself skipped, with the package's warning, when the deadline
// thread did not get SCHED_FIFO.
const fs = require('node:fs');
const os = require('node:os');
const { cli, fail, positiveInt } = require('../lib/args');
const { kernelContender, kernelNames } = require('../contenders/kernel');
const { firings } = require('../lib/early');
const { ownFdLimit } = require('../lib/fd-limit');
const { scaleOnlyContenders, userlandContenders } = require('../contenders/userland');
const { nowMs } = require('../lib/clock');
const { summarize } = require('../lib/stats');

const USAGE = 'usage: node bench/scale/holder.js <contender> <N> <port,port,...> <timeoutMs>';
const { positionals } = cli(USAGE, {}, { positionals: 4 });
if (positionals.length !== 4) fail(`expected 4 arguments, got ${positionals.length}`, USAGE);
const [name, nArg, portsArg, timeoutArg] = positionals;
const N = positiveInt(nArg, 'N', USAGE);
const ports = portsArg.split(',').map((p) => positiveInt(p, 'port', USAGE));
const TIMEOUT = positiveInt(timeoutArg, 'timeoutMs', USAGE);
// Connections opened at once while setting up (well under the listen backlog).
const CONNECT_BATCH = 250;

const RT_NAME = 'K-loop-rt';
const warnings = [];
process.on('warning', (w) => warnings.push(`${w.code ? `[${w.code}] ` : ''}${w.message}`));

function contender() {
  if (name === RT_NAME) return { ...kernelContender('K-loop'), name };
  if (kernelNames({ poll: true, loop: true }).includes(name)) return kernelContender(name);
  return [...userlandContenders(), ...scaleOnlyContenders()].find((c) => c.name === name);
}

/** { threads, rssMB }: the entries of /proc/self/task, VmRSS from /proc/self/status. */
function sample() {
  const status = fs.readFileSync('/proc/self/status', 'latin1');
  return {
    threads: fs.readdirSync('/proc/self/task').length,
    rssMB: Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]) / 1024,
  };
}

const POLICIES = { 0: 'SCHED_OTHER', 1: 'SCHED_FIFO', 2: 'SCHED_RR', 3: 'SCHED_BATCH', 5: 'SCHED_IDLE', 6: 'SCHED_DEADLINE' };

/**
 * The scheduling of the deadline thread (named kts-deadline by the addon):
 * { policy, priority } from /proc/self/task/TID/stat (fields 41 and 40,
 * proc(5)), or null while there is none.
 */
function deadlineScheduling() {
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      if (fs.readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim() !== 'kts-deadline') continue;
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const policy = Number(f[41 - 3]);
      return { policy: POLICIES[policy] ?? String(policy), priority: Number(f[40 - 3]) };
    } catch {
      // the thread ended meanwhile
    }
  }
  return null;
}

/**
 * Per thread of this process, by thread id: ms spent on a CPU and ms spent
 * runnable but waiting for one (run_delay), from /proc/self/task/TID/schedstat,
 * and its context switches (status): voluntary ones are sleeps (each ended by
 * a wake-up), involuntary ones preemptions; empty where the kernel keeps no
 * schedstat.
 */
function schedStats() {
  const out = new Map();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const [cpu, delay] = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ').map(Number);
      const name = fs.readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
      const status = fs.readFileSync(`/proc/self/task/${tid}/status`, 'latin1');
      const switches = (what) => Number((new RegExp(`^${what}_ctxt_switches:\\s+(\\d+)`, 'm').exec(status) || [0, 0])[1]);
      out.set(tid, { name, cpuMs: cpu / 1e6, delayMs: delay / 1e6, sleeps: switches('voluntary'), preempted: switches('nonvoluntary') });
    } catch {
      // the thread ended meanwhile, or no schedstat
    }
  }
  return out;
}

/**
 * Waiting for a CPU between two schedStats(): the JS thread's, the most any
 * other thread waited, all together; and K-loop's deadline thread's (named
 * kts-deadline by the addon) CPU time and waiting, so a late decision can be
 * told from a slow one. `ran`: CPU time meanwhile of the JS thread and of
 * the other threads but the deadline thread (V8's helpers, libuv's), the
 * threads of this process a waiting decision queues behind; with the load
 * average, what else wanted the CPUs.
 */
function cpuWait(before, after) {
  const main = String(process.pid);
  const r1 = (x) => Math.round(x * 10) / 10;
  let other = 0;
  let total = 0;
  let otherCpu = 0;
  let deadlineThread = null;
  for (const [tid, s] of after) {
    const was = before.get(tid) ?? { cpuMs: 0, delayMs: 0, sleeps: 0, preempted: 0 };
    const d = s.delayMs - was.delayMs;
    if (tid !== main) other = Math.max(other, d);
    if (tid !== main && s.name !== 'kts-deadline') otherCpu += s.cpuMs - was.cpuMs;
    total += d;
    if (s.name === 'kts-deadline') {
      deadlineThread = { cpuMs: r1(s.cpuMs - was.cpuMs), waitedMs: r1(d), sleeps: s.sleeps - was.sleeps, preempted: s.preempted - was.preempted };
    }
  }
  return {
    jsThreadMs: r1((after.get(main)?.delayMs ?? 0) - (before.get(main)?.delayMs ?? 0)),
    maxOtherThreadMs: r1(other),
    totalMs: Math.round(total),
    deadlineThread,
    ran: { jsThreadMs: r1((after.get(main)?.cpuMs ?? 0) - (before.get(main)?.cpuMs ?? 0)), otherThreadsMs: r1(otherCpu) },
    loadAverage: os.loadavg()[0],
    cpus: os.availableParallelism(),
  };
}

async function main() {
  const c = contender();
  if (!c) {
    const valid = [...kernelNames({ poll: true, loop: true }), ...[...userlandContenders(), ...scaleOnlyContenders()].map((u) => u.name)];
    fail(`unknown contender: ${name}; valid: ${valid.join(', ')}`, USAGE);
  }
  const fdLimit = ownFdLimit();
  if (fdLimit !== null && fdLimit < N + 64) {
    throw new Error(`fd limit ${fdLimit} is too low for ${N} connections: raise ulimit -n`);
  }
  const conns = [];
  const connect0 = nowMs();
  for (let i = 0; i < N; i += CONNECT_BATCH) {
    conns.push(...(await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, N - i) }, (_, j) => c.open(ports[(i + j) % ports.length])))));
  }
  const connectMs = nowMs() - connect0;
  // The variable is applied when the first loop socket opens, which starts
  // the deadline thread at once: by now it has its policy or a warning.
  if (name === RT_NAME && deadlineScheduling()?.policy !== 'SCHED_FIFO') {
    await Promise.all(conns.map((x) => c.close(x)));
    process.send({
      contender: name,
      connections: N,
      skipped: `the deadline thread did not get SCHED_FIFO: ${warnings.join('; ') || `no warning, scheduling ${JSON.stringify(deadlineScheduling())}`}`,
    });
    return;
  }
  const before = sample();
  let peak = { ...before };
  const sampler = setInterval(() => {
    const s = sample();
    peak = { threads: Math.max(peak.threads, s.threads), rssMB: Math.max(peak.rssMB, s.rssMB) };
  }, 25);
  const cpu0 = process.cpuUsage();
  const delays0 = schedStats();
  const wall0 = nowMs();
  // Every read is issued in this one tick, as a server with N idle
  // connections arms N timers at once.
  const pending = conns.map((s) => {
    const deadline = nowMs() + TIMEOUT;
    return c.readOnce(s, TIMEOUT).then((r) => ({ ...r, deadline }));
  });
  const issuedAt = nowMs();
  const issueMs = issuedAt - wall0;
  const results = await Promise.all(pending);
  const waitedMs = nowMs() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const waitedForCpu = cpuWait(delays0, schedStats());
  const deadlineThread = name === 'K-loop' || name === RT_NAME ? deadlineScheduling() : null;
  clearInterval(sampler);
  const s = sample();
  peak = { threads: Math.max(peak.threads, s.threads), rssMB: Math.max(peak.rssMB, s.rssMB) };
  await Promise.all(conns.map((x) => c.close(x)));
  const timedOut = results.filter((r) => !r.ok);
  process.send({
    contender: name,
    connections: N,
    fdLimit: fdLimit === Infinity ? 'unlimited' : fdLimit,
    timedOut: timedOut.length,
    lateJs: summarize(timedOut.map((r) => r.at - r.deadline)),
    lateKernel: c.kind === 'kernel' ? summarize(timedOut.map((r) => r.decidedAt - r.deadline)) : null,
    // Split by whether the deadline fell while this tick was still issuing
    // reads (the JS thread busy, competing for the 2 cores) or after.
    lateKernelDuringIssue: c.kind === 'kernel' ? summarize(timedOut.filter((r) => r.deadline < issuedAt).map((r) => r.decidedAt - r.deadline)) : null,
    lateKernelAfterIssue: c.kind === 'kernel' ? summarize(timedOut.filter((r) => r.deadline >= issuedAt).map((r) => r.decidedAt - r.deadline)) : null,
    firings: firings(timedOut, TIMEOUT),
    spreadJsMs: timedOut.length ? Math.round((Math.max(...timedOut.map((r) => r.at)) - Math.min(...timedOut.map((r) => r.at))) * 100) / 100 : null,
    rssBeforeMB: Math.round(before.rssMB),
    peakRssMB: Math.round(peak.rssMB),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    threadsBefore: before.threads,
    peakThreads: peak.threads,
    cpuWhileWaitingMs: Math.round((cpu.user + cpu.system) / 1000),
    // A late native decision on a loaded machine is a thread waiting for a
    // CPU: this says how long this process's threads waited while reads did.
    waitedForCpu,
    // K-loop's deadline thread's scheduling (null: none ran, or another contender).
    deadlineThread,
    waitedMs: Math.round(waitedMs),
    connectMs: Math.round(connectMs),
    issueMs: Math.round(issueMs),
  });
}

main().catch((err) => {
  process.send({ contender: name, connections: N, error: String(err && err.stack ? err.stack : err) });
});
