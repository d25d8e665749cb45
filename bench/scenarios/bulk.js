'use strict';
// Scenario 4: MB/s (MiB/s) moving a large payload in 64 KiB reads/writes,
// both directions, peer in a child process.
const { nowMs } = require('../lib/clock');
const { rotate } = require('../lib/rounds');
const { median, ratio, round } = require('../lib/stats');

const CHUNK = 64 * 1024;

async function bulk(ctx) {
  const size = (ctx.quick ? 32 : 256) * 2 ** 20;
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(size));
  const chunk = Buffer.alloc(CHUNK, 0x63);
  const rounds = ctx.quick ? 1 : 5;
  // A per-read timer changes nothing for a stream: no net+timer row here.
  const contenders = ctx.throughput.filter((c) => c.name !== 'net+timer');
  const rows = [];
  for (const direction of ['download', 'upload']) {
    const cell = { direction, bytes: size, results: [] };
    const runs = new Map(contenders.map((c) => [c.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const c of rotate(contenders, r)) {
        ctx.progress(`bulk: ${direction} ${size / 2 ** 20} MiB, ${c.name} (round ${r + 1}/${rounds})`);
        const port = direction === 'download' ? ctx.ports.source : ctx.ports.sink;
        const sock = await c.open(port);
        const start = nowMs();
        const moved = direction === 'download' ? await c.download(sock, header) : await c.upload(sock, header, chunk, size);
        const elapsed = nowMs() - start;
        await c.close(sock);
        if (moved !== size) throw new Error(`bulk ${direction} ${c.name}: moved ${moved} of ${size} bytes`);
        runs.get(c.name).push(size / 2 ** 20 / (elapsed / 1000));
      }
    }
    // Best round as the figure, as in the ping-pong; median and rounds kept.
    for (const [name, values] of runs) {
      cell.results.push({ contender: name, mibPerSec: round(Math.max(...values), 1), median: round(median(values), 1), rounds: values.map((v) => round(v, 1)) });
    }
    const base = cell.results.find((r) => r.contender === 'net');
    for (const r of cell.results) {
      r.ratioToNet = ratio(r.mibPerSec, base.mibPerSec);
      r.ratioToNetMedian = ratio(r.median, base.median);
    }
    rows.push(cell);
  }
  return { rounds, rows };
}

module.exports = { bulk };
