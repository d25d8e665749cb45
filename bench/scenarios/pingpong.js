'use strict';
// Scenario 3: round trips per second, 1 B and 1 KiB messages, 1 and 16
// connections, echo peer in a child process and in the same process, and
// the CPU time each round trip cost: process.cpuUsage() of this process
// (which runs the contender, and the peer too in the same-process cells)
// and of the peer child.
const { nowMs } = require('../lib/clock');
const { median, ratio, round } = require('../lib/stats');
const { rotate } = require('../lib/rounds');
const { startServers } = require('../peers/servers');

const cpuMicros = (u) => u.user + u.system;

/**
 * One round of one contender: { rate, cpuUs, peerCpuUs } (round trips/s,
 * CPU µs per round trip here and in the peer child, null when the peer is
 * this process).
 */
async function measure(c, port, size, conns, windowMs, peerCpu) {
  const socks = await Promise.all(Array.from({ length: conns }, () => c.open(port)));
  const msg = Buffer.alloc(size, 0x62);
  try {
    await Promise.all(socks.map((s) => c.pingPong(s, msg, nowMs() + windowMs / 5))); // warm-up
    const peer0 = peerCpu ? await peerCpu() : null;
    const cpu0 = process.cpuUsage();
    const start = nowMs();
    const counts = await Promise.all(socks.map((s) => c.pingPong(s, msg, start + windowMs)));
    const elapsed = nowMs() - start;
    const cpu = cpuMicros(process.cpuUsage(cpu0));
    const peer = peerCpu ? cpuMicros(await peerCpu()) - cpuMicros(peer0) : null;
    const trips = counts.reduce((a, b) => a + b, 0);
    return { rate: (trips * 1000) / elapsed, cpuUs: cpu / trips, peerCpuUs: peer === null ? null : peer / trips };
  } finally {
    await Promise.all(socks.map((s) => c.close(s)));
  }
}

/** A cell's figures per contender from its rounds, with ratios to net's. */
function summarizeCell(cell, runs) {
  for (const [name, values] of runs) {
    const rates = values.map((v) => v.rate);
    const cpu = values.map((v) => v.cpuUs);
    const peerCpu = values.every((v) => v.peerCpuUs !== null) ? values.map((v) => v.peerCpuUs) : null;
    cell.results.push({
      contender: name,
      roundTripsPerSec: round(Math.max(...rates), 0),
      median: round(median(rates), 0),
      rounds: rates.map((v) => round(v, 0)),
      // CPU per round trip: the median round (a best round of CPU would
      // favour whichever round the scheduler happened to treat kindly).
      cpuUsPerRoundTrip: round(median(cpu), 2),
      peerCpuUsPerRoundTrip: peerCpu ? round(median(peerCpu), 2) : null,
      cpuRounds: cpu.map((v) => round(v, 2)),
    });
  }
  const base = cell.results.find((r) => r.contender === 'net');
  for (const r of cell.results) {
    r.ratioToNet = ratio(r.roundTripsPerSec, base.roundTripsPerSec);
    r.ratioToNetMedian = ratio(r.median, base.median);
    r.cpuRatioToNet = ratio(r.cpuUsPerRoundTrip, base.cpuUsPerRoundTrip);
    r.cpuWithPeerRatioToNet =
      r.peerCpuUsPerRoundTrip === null ? r.cpuRatioToNet : ratio(r.cpuUsPerRoundTrip + r.peerCpuUsPerRoundTrip, base.cpuUsPerRoundTrip + base.peerCpuUsPerRoundTrip);
  }
  return cell;
}

async function pingpong(ctx) {
  // Contenders take turns in rounds, each round starting with the next one,
  // so background load on the shared machine and the order of measurement
  // hit them alike. The best round is the figure (load only ever slows a
  // round down); the median and every round stay in the JSON.
  const windowMs = ctx.quick ? 150 : 300;
  const rounds = ctx.quick ? 1 : 5;
  const local = await startServers();
  const rows = [];
  try {
    for (const where of ['child', 'same']) {
      const port = where === 'child' ? ctx.ports.echo : local.ports.echo;
      const peerCpu = where === 'child' ? () => ctx.peers.cpuUsage() : null;
      for (const conns of [1, 16]) {
        for (const size of [1, 1024]) {
          const runs = new Map(ctx.throughput.map((c) => [c.name, []]));
          for (let round_ = 0; round_ < rounds; round_++) {
            for (const c of rotate(ctx.throughput, round_)) {
              ctx.progress(`ping-pong: peer ${where}, ${conns} conn, ${size} B, ${c.name} (round ${round_ + 1}/${rounds})`);
              runs.get(c.name).push(await measure(c, port, size, conns, windowMs, peerCpu));
            }
          }
          rows.push(summarizeCell({ peer: where, connections: conns, messageBytes: size, results: [] }, runs));
        }
      }
    }
  } finally {
    await local.close();
  }
  return { windowMs, rounds, rows };
}

module.exports = { pingpong };
