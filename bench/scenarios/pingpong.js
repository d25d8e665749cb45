'use strict';
// Scenario 3: round trips per second, 1 B and 1 KiB messages, 1 and 16
// connections, echo peer in a child process and in the same process.
const { nowMs } = require('../lib/clock');
const { median, ratio, round } = require('../lib/stats');
const { rotate } = require('../lib/rounds');
const { startServers } = require('../peers/servers');

async function measure(c, port, size, conns, windowMs) {
  const socks = await Promise.all(Array.from({ length: conns }, () => c.open(port)));
  const msg = Buffer.alloc(size, 0x62);
  try {
    await Promise.all(socks.map((s) => c.pingPong(s, msg, nowMs() + windowMs / 5))); // warm-up
    const start = nowMs();
    const counts = await Promise.all(socks.map((s) => c.pingPong(s, msg, start + windowMs)));
    const elapsed = nowMs() - start;
    return (counts.reduce((a, b) => a + b, 0) * 1000) / elapsed;
  } finally {
    await Promise.all(socks.map((s) => c.close(s)));
  }
}

async function pingpong(ctx) {
  // Contenders take turns in rounds, each round starting with the next one,
  // so background load on the shared machine and the order of measurement
  // hit them alike. The best round is the figure (load only ever slows a
  // round down); the median and every round stay in the JSON.
  const windowMs = ctx.quick ? 250 : 300;
  const rounds = ctx.quick ? 1 : 5;
  const local = await startServers();
  const rows = [];
  try {
    for (const where of ['child', 'same']) {
      const port = where === 'child' ? ctx.ports.echo : local.ports.echo;
      for (const conns of [1, 16]) {
        for (const size of [1, 1024]) {
          const cell = { peer: where, connections: conns, messageBytes: size, results: [] };
          const runs = new Map(ctx.throughput.map((c) => [c.name, []]));
          for (let round_ = 0; round_ < rounds; round_++) {
            for (const c of rotate(ctx.throughput, round_)) {
              ctx.progress(`ping-pong: peer ${where}, ${conns} conn, ${size} B, ${c.name} (round ${round_ + 1}/${rounds})`);
              runs.get(c.name).push(await measure(c, port, size, conns, windowMs));
            }
          }
          for (const [name, values] of runs) {
            cell.results.push({
              contender: name,
              roundTripsPerSec: round(Math.max(...values), 0),
              median: round(median(values), 0),
              rounds: values.map((v) => round(v, 0)),
            });
          }
          const base = cell.results.find((r) => r.contender === 'net');
          for (const r of cell.results) {
            r.ratioToNet = ratio(r.roundTripsPerSec, base.roundTripsPerSec);
            r.ratioToNetMedian = ratio(r.median, base.median);
          }
          rows.push(cell);
        }
      }
    }
  } finally {
    await local.close();
  }
  return { windowMs, rounds, rows };
}

module.exports = { pingpong };
