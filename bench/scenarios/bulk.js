'use strict';
// Scenario 4: MiB/s moving bulk data in 64 KiB reads/writes, both
// directions, peer in a child process, and the CPU time each MiB cost
// (process.cpuUsage() of this process, which runs the contender, and of the
// peer child).
//
// Paired as the ping-pong is: each contender's connection is opened once
// per direction, a window moves WINDOW_MIB on it, and every other
// contender's window runs between two windows of net's (lib/rounds.js
// sandwich); its ratio in that round divides by the mean of those two, and
// the figure is the median round. A window's rate on the 2-vCPU VMs jumps
// between states (~1 000 or ~3 000 MiB/s, whichever placement the scheduler
// gives the two processes, and with the load of other work), which made
// the old figure, one 256 MiB transfer per contender and round, five
// rounds, best round against net's best, swing 0.69x-1.51x between runs.
// The old figure is computed from the same windows in five blocks of rounds
// and kept as `oldEstimator`. Beside each median, a 95 % confidence interval
// for it (lib/median-ci.js) says how far the rounds let it be trusted.
const { nowMs } = require('../lib/clock');
const { medianInterval } = require('../lib/median-ci');
const { pairedRound } = require('../lib/rounds');
const { cpuMicros, median, ratio, round } = require('../lib/stats');

const BASELINE = 'net';
const CHUNK = 64 * 1024;
// A window moves this much (~20-100 ms); the rounds of a direction; one
// warm-up window per contender and direction.
const WINDOW_MIB = 64;
const QUICK_WINDOW_MIB = 32;
const ROUNDS = 31;
// Blocks of rounds for the old estimator (it had five rounds).
const OLD_ROUNDS = 5;

/**
 * One window: `mib` MiB one way on an open connection. Resolves to { rate,
 * cpuUs, peerCpuUs, opsPerMiB, mib, ms, cpu }: MiB/s, CPU µs per MiB here
 * and in the peer child, reads (or writes) per MiB, and the window's MiB,
 * ms and CPU µs here.
 */
async function measure(c, sock, direction, mib, peerCpu) {
  const size = mib * 2 ** 20;
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(size));
  const chunk = Buffer.alloc(CHUNK, 0x63);
  const peer0 = await peerCpu();
  const cpu0 = process.cpuUsage();
  const start = nowMs();
  const { bytes, ops } = direction === 'download' ? await c.download(sock, header, size) : await c.upload(sock, header, chunk, size);
  const ms = nowMs() - start;
  const cpu = cpuMicros(process.cpuUsage(cpu0));
  const peer = cpuMicros(await peerCpu()) - cpuMicros(peer0);
  if (bytes !== size) throw new Error(`bulk ${direction} ${c.name}: moved ${bytes} of ${size} bytes`);
  return { rate: mib / (ms / 1000), cpuUs: cpu / mib, peerCpuUs: peer / mib, opsPerMiB: ops / mib, mib, ms, cpu };
}

const mean2 = (a, b) => (a + b) / 2;

/** Per round, a figure of the contender's window against the mean of net's two around it. */
function paired(pairs, pick) {
  return pairs.map(({ w, b, a }) => ratio(pick(w), mean2(pick(b), pick(a))));
}

/**
 * The estimator before the paired one, over the same windows: the rounds in
 * OLD_ROUNDS blocks, a block's rate its MiB over its time; the best block
 * against net's best, the median block against net's median (as when each
 * contender moved one transfer per round, five rounds).
 */
function oldEstimator(own, net, rounds) {
  const count = Math.min(OLD_ROUNDS, rounds);
  const rates = (ws) =>
    Array.from({ length: count }, (_, b) => {
      const perRound = ws.length / rounds; // net has several windows per round
      const part = ws.slice(Math.floor((b * rounds) / count) * perRound, Math.floor(((b + 1) * rounds) / count) * perRound);
      return part.reduce((x, w) => x + w.mib, 0) / (part.reduce((x, w) => x + w.ms, 0) / 1000);
    });
  const [o, n] = [rates(own), rates(net)];
  return { ratioToNet: ratio(Math.max(...o), Math.max(...n)), ratioToNetMedian: ratio(median(o), median(n)) };
}

function summarize(cell, windows, pairs, rounds) {
  for (const [name, ws] of windows) {
    const p = name === BASELINE ? null : pairs.get(name);
    const rate = p && paired(p, (w) => w.rate);
    const cpu = p && paired(p, (w) => w.cpuUs);
    const cpuWithPeer = p && paired(p, (w) => w.cpuUs + w.peerCpuUs);
    cell.results.push({
      contender: name,
      // MiB/s and CPU: the median window; every window in `rounds` and
      // `cpuRounds` (net has several per round).
      mibPerSec: round(median(ws.map((w) => w.rate)), 1),
      rounds: ws.map((w) => round(w.rate, 1)),
      cpuUsPerMiB: round(median(ws.map((w) => w.cpuUs)), 1),
      peerCpuUsPerMiB: round(median(ws.map((w) => w.peerCpuUs)), 1),
      cpuRounds: ws.map((w) => round(w.cpuUs, 1)),
      // Reads per MiB (a download's reads return what has arrived, up to 64 KiB).
      opsPerMiB: round(median(ws.map((w) => w.opsPerMiB)), 1),
      // The verdict's estimator: median of the per-round paired ratios.
      ratioToNet: p ? round(median(rate), 2) : 1,
      cpuRatioToNet: p ? round(median(cpu), 2) : 1,
      cpuWithPeerRatioToNet: p ? round(median(cpuWithPeer), 2) : 1,
      ratioToNetInterval: p ? medianInterval(rate) : null,
      cpuRatioToNetInterval: p ? medianInterval(cpu) : null,
      ratioToNetRounds: rate,
      cpuRatioToNetRounds: cpu,
      oldEstimator: oldEstimator(ws, windows.get(BASELINE), rounds),
    });
  }
  return cell;
}

/** The windows of one direction: { windows, pairs }, as in scenarios/pingpong.js. */
async function runDirection(ctx, direction, mib, rounds) {
  const contenders = ctx.throughput.filter((c) => c.name !== 'net+timer');
  const net = contenders.find((c) => c.name === BASELINE);
  const others = contenders.filter((c) => c !== net);
  const port = direction === 'download' ? ctx.ports.source : ctx.ports.sink;
  const peerCpu = () => ctx.peers.cpuUsage();
  const windows = new Map(contenders.map((c) => [c.name, []]));
  const pairs = new Map(others.map((c) => [c.name, []]));
  const socks = new Map();
  try {
    for (const c of contenders) socks.set(c, await c.open(port));
    for (const c of contenders) {
      ctx.progress(`bulk: ${direction}, ${c.name} (warm-up)`);
      await measure(c, socks.get(c), direction, mib, peerCpu);
    }
    for (let r = 0; r < rounds; r++) {
      ctx.progress(`bulk: ${direction} ${mib} MiB windows (round ${r + 1}/${rounds})`);
      await pairedRound(net, others, r, (c) => measure(c, socks.get(c), direction, mib, peerCpu), windows, pairs);
    }
  } finally {
    for (const [c, s] of socks) await c.close(s);
  }
  return { windows, pairs };
}

async function bulk(ctx) {
  const mib = ctx.quick ? QUICK_WINDOW_MIB : WINDOW_MIB;
  const rounds = ctx.quick ? 1 : ROUNDS;
  // A per-read timer changes nothing for a stream: no net+timer row here.
  const rows = [];
  for (const direction of ['download', 'upload']) {
    const { windows, pairs } = await runDirection(ctx, direction, mib, rounds);
    rows.push(summarize({ direction, bytes: mib * 2 ** 20, results: [] }, windows, pairs, rounds));
  }
  return {
    windowMiB: mib,
    rounds,
    estimator:
      "ratioToNet, cpuRatioToNet: median over rounds of the contender's window against the mean of net's two windows around it, *Interval: 95 % confidence interval of that median; oldEstimator: the rounds in 5 blocks, best block against net's best, medians against net's median",
    rows,
  };
}

module.exports = { bulk };
