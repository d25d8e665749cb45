'use strict';
// Scenario 1: how late a read with no data times out, per contender, with
// the loop idle and with it busy in 20 ms chunks. For K also when the
// kernel decided (TimeoutError#decidedAt), apart from when JS saw it, and
// how many fired EARLY (lib/early.js).
const { nowMs } = require('../lib/clock');
const { runBatch } = require('../lib/launch');
const { firings } = require('../lib/early');
const { summarize, round } = require('../lib/stats');

const BATCH = 25;

async function lateness(ctx) {
  const timeouts = ctx.quick ? [10, 100] : [10, 100, 1000];
  const samplesFor = (t) => (ctx.quick ? BATCH : t >= 1000 ? 2 * BATCH : 4 * BATCH);
  const rows = [];
  for (const busy of [false, true]) {
    for (const timeout of timeouts) {
      for (const c of ctx.contenders) {
        ctx.progress(`lateness: ${busy ? 'busy' : 'idle'} loop, T=${timeout} ms, ${c.name}`);
        const js = [];
        const kernel = [];
        const timedOut = [];
        let unexpected = 0;
        for (let done = 0; done < samplesFor(timeout); done += BATCH) {
          const conns = await Promise.all(Array.from({ length: BATCH }, () => c.open(ctx.ports.silent)));
          const results = await runBatch(BATCH, busy, 20, (i) => {
            const deadline = nowMs() + timeout;
            return c.readOnce(conns[i], timeout).then((r) => ({ ...r, deadline }));
          });
          await Promise.all(conns.map((s) => c.close(s)));
          for (const r of results) {
            if (r.ok) {
              unexpected++;
              continue;
            }
            timedOut.push(r);
            js.push(r.at - r.deadline);
            if (r.decidedAt !== undefined) kernel.push(r.decidedAt - r.deadline);
          }
        }
        rows.push({
          loop: busy ? 'busy' : 'idle',
          timeoutMs: timeout,
          contender: c.name,
          js: summarize(js),
          kernel: c.kind === 'kernel' ? summarize(kernel) : null,
          unexpected,
          firings: firings(timedOut, timeout),
          samplesJs: js.map((x) => round(x, 3)),
          samplesKernel: c.kind === 'kernel' ? kernel.map((x) => round(x, 3)) : undefined,
        });
      }
    }
  }
  return { note: ctx.quick ? 'quick: T=1000 ms skipped, 25 samples per cell' : null, rows };
}

module.exports = { lateness };
