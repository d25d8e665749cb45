'use strict';
// The design targets for K-loop (CPU, scale and bulk as later tightened),
// each against what this run measured: [{ target, measured, verdict }] with
// verdict 'met', 'MISSED' or 'not measured'. Ratios are to net.Socket (or,
// at scale, net.Socket + setTimeout rejecting with an Error) in the same run.

const CONTENDER = 'K-loop';
const PINGPONG_MIN = 0.95;
const CPU_MAX = 1.1;
const BULK_MIN = 1.0;
// Bulk is a target for both engines.
const BULK_ENGINES = [CONTENDER, 'K'];
// Seen-by-JS lateness at scale: no worse than the reference contender's p99.
const SCALE = { threads: 16, rssRatio: 1.1, kernelP99Ms: 2 };

const verdict = (ok) => (ok === null ? 'not measured' : ok ? 'met' : 'MISSED');
const fx = (v) => (v === null || v === undefined ? '-' : `${v.toFixed(2)}x`);
const cellName = (c) => `${c.peer === 'child' ? 'peer in a child process' : 'peer in the same process'}, ${c.connections} conn, ${c.messageBytes} B`;

// Ping-pong verdicts use the paired estimator (scenarios/pingpong.js): each
// round's window against net's two windows around it, median of the rounds;
// the range of the rounds says how far one round can be trusted, and the old
// estimator (best round against net's best) is shown beside it.
const old = (r) => r.oldEstimator || {};
const range = (xs) => (Array.isArray(xs) && xs.length > 1 && xs.every((x) => x !== null) ? ` [rounds ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}]` : '');

function pingpongTargets(pp) {
  const out = [];
  for (const c of pp.rows) {
    const r = c.results.find((x) => x.contender === CONTENDER);
    out.push({
      target: `ping-pong, ${cellName(c)}: >= ${PINGPONG_MIN}x`,
      measured: r ? `${fx(r.ratioToNet)} paired median${range(r.ratioToNetRounds)} (old: best round ${fx(old(r).ratioToNet)})` : '-',
      verdict: verdict(r && r.ratioToNet !== null ? r.ratioToNet >= PINGPONG_MIN : null),
    });
  }
  for (const c of pp.rows) {
    const r = c.results.find((x) => x.contender === CONTENDER);
    const withPeer = r && c.peer === 'child' ? `; with the peer child ${fx(r.cpuWithPeerRatioToNet)}` : '';
    out.push({
      target: `CPU per round trip, ${cellName(c)}: <= ${CPU_MAX}x`,
      measured: r
        ? `${fx(r.cpuRatioToNet)} paired median${range(r.cpuRatioToNetRounds)} (${r.cpuUsPerRoundTrip} µs in this process${withPeer}; old: median rounds ${fx(old(r).cpuRatioToNet)})`
        : '-',
      verdict: verdict(r && r.cpuRatioToNet !== null ? r.cpuRatioToNet <= CPU_MAX : null),
    });
  }
  return out;
}

// Bulk verdicts use the paired estimator too (scenarios/bulk.js): the rate,
// with the 95 % confidence interval of its median, the CPU per MiB likewise,
// and the old estimator beside it.
const interval = (ci) => (Array.isArray(ci) ? ` [95 % CI ${ci[0].toFixed(2)}-${ci[1].toFixed(2)}]` : '');
function bulkTargets(bulk) {
  return BULK_ENGINES.flatMap((name) =>
    bulk.rows.map((c) => {
      const r = c.results.find((x) => x.contender === name);
      const cpu = r && r.cpuRatioToNet !== undefined ? `; CPU per MiB ${fx(r.cpuRatioToNet)}${interval(r.cpuRatioToNetInterval)}` : '';
      return {
        target: `bulk ${c.direction}${name === CONTENDER ? '' : ` (${name})`}: >= ${BULK_MIN}x`,
        measured: r ? `${fx(r.ratioToNet)} paired median${interval(r.ratioToNetInterval)}${cpu} (old: best round ${fx(old(r).ratioToNet)}, median ${fx(old(r).ratioToNetMedian)})` : '-',
        verdict: verdict(r && r.ratioToNet !== null ? r.ratioToNet >= BULK_MIN : null),
      };
    }),
  );
}

// Why a decided p99 is what it is (scale/holder.js): how long the
// holder's threads waited for a CPU meanwhile, and, when the first
// deadlines fell while the JS thread was still issuing reads, the p99 of
// those against the rest.
function whyLate(r) {
  const parts = [];
  const w = r.waitedForCpu;
  if (w) parts.push(`its threads waited ${w.totalMs} ms for a CPU meanwhile: the JS thread ${w.jsThreadMs} ms, another up to ${w.maxOtherThreadMs} ms`);
  // The deadline thread's own CPU time per decision against its waiting
  // says whether it was slow or kept waiting.
  const t = w && w.deadlineThread;
  if (t && r.timedOut) {
    const switches = t.sleeps === undefined ? '' : `, slept and was woken ${t.sleeps} times, was preempted ${t.preempted} times`;
    parts.push(
      `the deadline thread ran ${t.cpuMs} ms for ${r.timedOut} decisions (${Math.round(((t.cpuMs * 1000) / r.timedOut) * 10) / 10} µs each)${switches} and waited ${t.waitedMs} ms for a CPU`,
    );
    // What it waited behind: this process's own threads, and the machine's load.
    if (w.ran) {
      parts.push(
        `meanwhile the JS thread ran ${w.ran.jsThreadMs} ms (settling the timeouts) and the other threads (V8's helpers) ${w.ran.otherThreadsMs} ms, at a load average of ${w.loadAverage.toFixed(1)} on ${w.cpus} CPUs`,
      );
    }
    // Waiting longer than working: a woken thread of ordinary priority queues
    // behind the running one (docs/benchmark-results.md, perf sched).
    const rt = r.deadlineThread && r.deadlineThread.policy !== 'SCHED_OTHER';
    if (t.waitedMs > t.cpuMs) parts.push(`late by waiting for a CPU${rt ? '' : ' at ordinary priority'}, not by deciding slowly`);
  }
  const during = r.lateKernelDuringIssue;
  const after = r.lateKernelAfterIssue;
  if (during && after && during.n) parts.push(`p99 ${during.p99} ms for the ${during.n} deadlines met while reads were still being issued, ${after.n ? `${after.p99} ms for the ${after.n} after` : 'none after'}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

// The decided p99 of K-loop opted in to a real-time deadline thread
// (scale.realtime: K-loop-rt, KTS_DEADLINE_PRIORITY), beside the default's.
function realtimeTarget(scale, n, p99) {
  const rt = scale.realtime;
  if (!rt) return [];
  const r = scale.rows.find((x) => x.contender === rt.contender && x.connections === n);
  const failed = !r ? 'not run (K-loop is not the loop engine)' : r.error || r.skipped ? `skipped: ${(r.error || r.skipped).split('\n')[0]}` : null;
  const value = failed ? null : p99(r.lateKernel);
  const missing = value === null || value === undefined;
  return [
    {
      target: `scale N=${n}: decided p99 <= ${SCALE.kernelP99Ms} ms late, opted in (${rt.contender}: ${rt.variable}=${rt.priority}, SCHED_FIFO)`,
      measured: missing ? failed || 'no figure' : `${value} ms${whyLate(r)}`,
      verdict: verdict(missing ? (r && r.error ? false : null) : value <= SCALE.kernelP99Ms),
    },
  ];
}

function scaleTargets(scale) {
  const out = [];
  const p99 = (s) => (s && s.n ? s.p99 : null);
  for (const n of scale.sizes || []) {
    const r = scale.rows.find((x) => x.contender === CONTENDER && x.connections === n);
    const ref = scale.rows.find((x) => x.contender === scale.rssReference && x.connections === n);
    const refP99 = ref && !ref.error && !ref.skipped ? p99(ref.lateJs) : null;
    const failed = !r ? 'no row' : r.error || r.skipped ? (r.error || r.skipped).split('\n')[0] : null;
    // [target, the figure (null when not measured), its text, the limit]
    const checks = [
      [`<= ${SCALE.threads} threads`, failed ? null : r.peakThreads, (v) => `${v} threads`, SCALE.threads],
      [`RSS <= ${SCALE.rssRatio}x ${scale.rssReference} (net.Socket + setTimeout rejecting)`, failed ? null : r.rssRatioToReference, (v) => `${fx(v)} (${r.peakRssMB} MB)`, SCALE.rssRatio],
      [`decided p99 <= ${SCALE.kernelP99Ms} ms late, by default (what a user gets: ordinary scheduling)`, failed ? null : p99(r.lateKernel), (v) => `${v} ms${whyLate(r)}`, SCALE.kernelP99Ms],
      [`seen by JS p99 no later than ${scale.rssReference}'s (${refP99 ?? '-'} ms)`, failed || refP99 === null ? null : p99(r.lateJs), (v) => `${v} ms`, refP99],
    ];
    for (const [target, value, text, limit] of checks) {
      const missing = value === null || value === undefined;
      // A holder that failed misses its targets; a skipped one was not measured.
      const ok = missing ? (r && r.error ? false : null) : value <= limit;
      out.push({ target: `scale N=${n}: ${target}`, measured: missing ? failed || 'no figure' : text(value), verdict: verdict(ok) });
    }
    out.push(...realtimeTarget(scale, n, p99));
  }
  return out;
}

function raceTargets(race) {
  const r = race.rows.find((x) => x.contender === CONTENDER);
  return [
    {
      target: 'race: 0 spurious, 0 lost',
      measured: r ? `${r.spurious} spurious, ${r.lost} lost in ${r.trials} trials` : '-',
      verdict: verdict(r ? r.spurious === 0 && r.lost === 0 : null),
    },
  ];
}

/** The rows, for whichever scenarios ran; empty when none of them did. */
function kLoopTargets(report) {
  const s = report.scenarios;
  const ran = (x) => x && x.rows;
  return [
    ...(ran(s.pingpong) ? pingpongTargets(s.pingpong) : []),
    ...(ran(s.bulk) ? bulkTargets(s.bulk) : []),
    ...(ran(s.scale) ? scaleTargets(s.scale) : []),
    ...(ran(s.race) ? raceTargets(s.race) : []),
  ];
}

module.exports = { kLoopTargets };
