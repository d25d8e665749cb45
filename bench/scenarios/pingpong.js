'use strict';
// Scenario 3: round trips per second, 1 B and 1 KiB messages, 1 and 16
// connections, echo peer in a child process and in the same process, and
// the CPU time each round trip cost: process.cpuUsage() of this process
// (which runs the contender, and the peer too in the same-process cells)
// and of the peer child.
//
// The ratios to net.Socket are paired: every other contender's window runs
// between two windows of net's (lib/rounds.js sandwich), and its ratio in
// that round divides by the mean of those two; the figure is the median
// round. Load on the shared machine moves over seconds, so windows ~100 ms
// apart mostly see the same machine, and a drift across the three cancels
// to first order; the median drops the rounds that a burst of load or a
// change of state hit, on either side. The best round of each contender
// against net's best (the estimator before this one) is computed from the
// same windows, in five blocks of rounds, and written beside it as
// `oldEstimator`.
const { nowMs } = require('../lib/clock');
const { cpuMicros, median, ratio, round } = require('../lib/stats');
const { pairedRound } = require('../lib/rounds');
const { startServers } = require('../peers/servers');

const BASELINE = 'net';
// A window, the rounds of a cell, and one warm-up per contender and cell.
const WINDOW_MS = 100;
const ROUNDS = 15;
const WARMUP_MS = 100;
// Blocks of rounds for the old estimator (it had five rounds); --quick runs one round.
const OLD_ROUNDS = 5;

/**
 * One window of one contender on its open connections: { rate, cpuUs,
 * peerCpuUs, trips, ms, cpu } (round trips/s, CPU µs per round trip here and
 * in the peer child, null when the peer is this process; the window's round
 * trips, ms and CPU µs here).
 */
async function measure(c, socks, msg, windowMs, peerCpu) {
  const peer0 = peerCpu ? await peerCpu() : null;
  const cpu0 = process.cpuUsage();
  const start = nowMs();
  const counts = await Promise.all(socks.map((s) => c.pingPong(s, msg, start + windowMs)));
  const elapsed = nowMs() - start;
  const cpu = cpuMicros(process.cpuUsage(cpu0));
  const peer = peerCpu ? cpuMicros(await peerCpu()) - cpuMicros(peer0) : null;
  const trips = counts.reduce((x, y) => x + y, 0);
  return { rate: (trips * 1000) / elapsed, cpuUs: cpu / trips, peerCpuUs: peer === null ? null : peer / trips, trips, ms: elapsed, cpu };
}

const withPeer = (w) => (w.peerCpuUs === null ? null : w.cpuUs + w.peerCpuUs);
const mean2 = (a, b) => (a === null || b === null ? null : (a + b) / 2);
const r2 = (values) => values.map((v) => (v === null ? null : round(v, 2)));

/**
 * The paired ratios of one contender: per round, its window against the mean
 * of net's two flanking windows (rate, CPU here, CPU here + peer child).
 */
function pairedRatios(pairs) {
  const per = (pick) => pairs.map(({ w, b, a }) => ratio(pick(w), mean2(pick(b), pick(a))));
  return { rate: per((w) => w.rate), cpu: per((w) => w.cpuUs), cpuWithPeer: per(withPeer) };
}

/**
 * The estimator before the paired one, over the same windows: the rounds
 * grouped into OLD_ROUNDS blocks, one figure per block and contender (its
 * trips over its time, its CPU over its trips), then the best block against
 * net's best block, and medians against net's median; as when each
 * contender ran one long window per round.
 */
function oldEstimator(own, net, rounds) {
  const count = Math.min(OLD_ROUNDS, rounds);
  const blocks = (ws) =>
    Array.from({ length: count }, (_, b) => {
      // Rounds [b * rounds / count, (b + 1) * rounds / count), in windows (net has several per round).
      const perRound = ws.length / rounds;
      const part = ws.slice(Math.floor((b * rounds) / count) * perRound, Math.floor(((b + 1) * rounds) / count) * perRound);
      const trips = part.reduce((x, w) => x + w.trips, 0);
      return { rate: (trips * 1000) / part.reduce((x, w) => x + w.ms, 0), cpuUs: part.reduce((x, w) => x + w.cpu, 0) / trips };
    });
  const [o, n] = [blocks(own), blocks(net)];
  const best = (bs) => Math.max(...bs.map((x) => x.rate));
  const med = (bs, pick) => median(bs.map(pick));
  return {
    ratioToNet: ratio(best(o), best(n)),
    ratioToNetMedian: ratio(
      med(o, (x) => x.rate),
      med(n, (x) => x.rate),
    ),
    cpuRatioToNet: ratio(
      med(o, (x) => x.cpuUs),
      med(n, (x) => x.cpuUs),
    ),
  };
}

/**
 * A cell's figures per contender. `windows`: per contender its windows in
 * round order; `pairs`: per non-net contender, per round { w, b, a } (its
 * window and net's before and after).
 */
function summarizeCell(cell, windows, pairs, rounds) {
  for (const [name, ws] of windows) {
    const rates = ws.map((v) => v.rate);
    const cpu = ws.map((v) => v.cpuUs);
    const peerCpu = ws.every((v) => v.peerCpuUs !== null) ? ws.map((v) => v.peerCpuUs) : null;
    const paired = name === BASELINE ? null : pairedRatios(pairs.get(name));
    const medianOf = (xs) => (xs.some((x) => x === null) ? null : round(median(xs), 2));
    cell.results.push({
      contender: name,
      // Round trips/s and CPU: the median window of this contender; every
      // window in `rounds` and `cpuRounds` (net has several per round).
      roundTripsPerSec: round(median(rates), 0),
      rounds: rates.map((v) => round(v, 0)),
      cpuUsPerRoundTrip: round(median(cpu), 2),
      peerCpuUsPerRoundTrip: peerCpu ? round(median(peerCpu), 2) : null,
      cpuRounds: r2(cpu),
      // The verdict's estimator: median of the per-round paired ratios.
      ratioToNet: paired ? medianOf(paired.rate) : 1,
      cpuRatioToNet: paired ? medianOf(paired.cpu) : 1,
      cpuWithPeerRatioToNet: paired ? (paired.cpuWithPeer.some((x) => x === null) ? medianOf(paired.cpu) : medianOf(paired.cpuWithPeer)) : 1,
      ratioToNetRounds: paired ? paired.rate : null,
      cpuRatioToNetRounds: paired ? paired.cpu : null,
      oldEstimator: oldEstimator(ws, windows.get(BASELINE), rounds),
    });
  }
  return cell;
}

/**
 * The rounds of one cell: { windows, pairs } (see summarizeCell). Every
 * contender's connections are opened first and stay open for the cell (so
 * a window is round trips only, not connection set-up), each contender
 * warms up once, then the rounds run.
 */
async function runCell(ctx, label, cell) {
  const { port, size, conns, windowMs, rounds, peerCpu } = cell;
  const net = ctx.throughput.find((c) => c.name === BASELINE);
  const others = ctx.throughput.filter((c) => c !== net);
  const windows = new Map(ctx.throughput.map((c) => [c.name, []]));
  const pairs = new Map(others.map((c) => [c.name, []]));
  const msg = Buffer.alloc(size, 0x62);
  const socks = new Map();
  try {
    for (const c of ctx.throughput) socks.set(c, await Promise.all(Array.from({ length: conns }, () => c.open(port))));
    for (const c of ctx.throughput) {
      ctx.progress(`ping-pong: ${label}, ${c.name} (warm-up)`);
      await Promise.all(socks.get(c).map((s) => c.pingPong(s, msg, nowMs() + WARMUP_MS)));
    }
    for (let r = 0; r < rounds; r++) {
      ctx.progress(`ping-pong: ${label} (round ${r + 1}/${rounds})`);
      await pairedRound(net, others, r, (c) => measure(c, socks.get(c), msg, windowMs, peerCpu), windows, pairs);
    }
  } finally {
    for (const [c, ss] of socks) await Promise.all(ss.map((s) => c.close(s)));
  }
  return { windows, pairs };
}

async function pingpong(ctx) {
  // More, shorter rounds than the old five of 300 ms: on the 2-vCPU VMs
  // the rate of one window jumps between states (a 1 connection cell with
  // the peer in a child: ~4 000 or ~20 000 round trips/s, whichever
  // placement the scheduler gives the two processes) and with the load of
  // other work, so what steadies the figure is many pairs, each close in
  // time. Not much shorter: 25 ms windows read the same-process cells
  // ~0.15x lower than 100 ms ones, steadily (docs/benchmark-results.md).
  const windowMs = WINDOW_MS;
  const rounds = ctx.quick ? 1 : ROUNDS;
  const local = await startServers();
  const rows = [];
  try {
    for (const where of ['child', 'same']) {
      const port = where === 'child' ? ctx.ports.echo : local.ports.echo;
      const peerCpu = where === 'child' ? () => ctx.peers.cpuUsage() : null;
      for (const conns of [1, 16]) {
        for (const size of [1, 1024]) {
          const label = `peer ${where}, ${conns} conn, ${size} B`;
          const { windows, pairs } = await runCell(ctx, label, { port, size, conns, windowMs, rounds, peerCpu });
          rows.push(summarizeCell({ peer: where, connections: conns, messageBytes: size, results: [] }, windows, pairs, rounds));
        }
      }
    }
  } finally {
    await local.close();
  }
  return {
    windowMs,
    rounds,
    estimator:
      "ratioToNet, cpuRatioToNet: median over rounds of the contender's window against the mean of net's two windows around it; oldEstimator: the rounds in 5 blocks, best block against net's best, medians against net's median",
    rows,
  };
}

module.exports = { pingpong };
