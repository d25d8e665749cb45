'use strict';
// Scenario 2: the deadline race. Each trial: a read with timeout T on a
// fresh connection while the loop is busy in 20 ms chunks; the peer (a
// child process) sends a 16-byte message at deadline +/- 5 ms. Counts per
// contender: delivered, timed out, SPURIOUS, LOST (method in README.md).
const { nowMs } = require('../lib/clock');
const { runBatch } = require('../lib/launch');
const { rotate } = require('../lib/rounds');
const { summarize } = require('../lib/stats');

const TIMEOUT_MS = 30;
const JITTER_MS = 5;
const BATCH = 50;
const RECOVER_MS = 1000;

/** Waits (bounded) until the peer reported every id; returns the reports. */
async function reportsFor(ids, reports, limitMs) {
  const end = nowMs() + limitMs;
  while (ids.some((id) => !reports.has(id)) && nowMs() < end) await new Promise((r) => setTimeout(r, 5));
  return ids.map((id) => reports.get(id) || null);
}

async function oneTrial(c, conn, id) {
  const req = Buffer.alloc(12);
  const deadline0 = nowMs() + TIMEOUT_MS;
  req.writeUInt32LE(id, 0);
  req.writeDoubleLE(deadline0 + (Math.random() * 2 - 1) * JITTER_MS, 4);
  c.request(conn, req);
  const deadline = nowMs() + TIMEOUT_MS;
  const r = await c.readOnce(conn, TIMEOUT_MS);
  const t = { id, deadline, ok: r.ok && r.data.readUInt32LE(0) === id, decidedAt: r.decidedAt, destroyedAt: r.destroyedAt };
  if (!r.ok && c.recover) {
    const later = await c.recover(conn, RECOVER_MS);
    t.recovered = later !== null && later.length >= 4 && later.readUInt32LE(0) === id;
  }
  await c.close(conn);
  return t;
}

function classify(c, t, rep) {
  const sent = rep !== null && rep.sentAfter !== null;
  const out = { delivered: 0, timedOut: 0, spurious: 0, lost: 0, ambiguous: 0, unreported: rep ? 0 : 1 };
  if (t.ok) {
    out.delivered = 1;
    return out;
  }
  out.timedOut = 1;
  // The peer's write had returned before the deadline: the bytes were in
  // this socket's receive queue in time, yet the user got a timeout.
  if (sent && rep.sentAfter < t.deadline) out.spurious = 1;
  if (c.kind === 'kernel') {
    // K leaves the bytes in the socket: they must come on the next read.
    if (sent && !t.recovered) out.lost = 1;
  } else if (sent) {
    // Lost when two witnesses agree (README.md): by the clock the write had
    // returned before destroy(), and the kernel closed with a RST, which a
    // close with unread data sends instead of a FIN. One without the other
    // (the write and destroy() overlapped, or loopback delivery was
    // deferred) is ambiguous, not counted as lost.
    const inQueue = rep.sentAfter < t.destroyedAt;
    if (inQueue && rep.resetBeforeEnd) out.lost = 1;
    else if (inQueue || rep.sentBefore < t.destroyedAt) out.ambiguous = 1;
  }
  return out;
}

/** A trial's times relative to its deadline (ms), for the JSON. */
function detail(t, rep) {
  const rel = (x) => (x === null || x === undefined ? null : Math.round((x - t.deadline) * 1000) / 1000);
  return { requestAt: rel(rep && rep.requestAt), sentBefore: rel(rep && rep.sentBefore), sentAfter: rel(rep && rep.sentAfter), decidedAt: rel(t.decidedAt), recovered: t.recovered };
}

async function race(ctx) {
  const trials = ctx.quick ? 200 : 1000;
  const reports = new Map();
  ctx.peers.onReport((rep) => reports.set(rep.id, rep));
  let nextId = 1;
  const tally = new Map(
    ctx.contenders.map((c) => [
      c.name,
      {
        sum: { contender: c.name, kind: c.kind, trials: 0, delivered: 0, timedOut: 0, spurious: 0, lost: 0, ambiguous: 0, unreported: 0, arrivedBeforeDeadline: 0, notFlushed: 0 },
        odd: [],
        requestDelay: [],
        sendOffset: [],
      },
    ]),
  );
  // The contenders take turns batch by batch (each batch starting with the
  // next one), so every contender meets the same load over the run.
  for (let done = 0, b = 0; done < trials; done += BATCH, b++) {
    for (const c of rotate(ctx.contenders, b)) {
      ctx.progress(`race: trials ${done}-${done + BATCH} of ${trials}, ${c.name}`);
      const { sum, odd, requestDelay, sendOffset } = tally.get(c.name);
      const conns = await Promise.all(Array.from({ length: BATCH }, () => c.open(ctx.ports.race)));
      const ids = conns.map(() => nextId++);
      const results = await runBatch(BATCH, true, 20, (i) => oneTrial(c, conns[i], ids[i]));
      const reps = await reportsFor(ids, reports, 3000);
      results.forEach((t, i) => {
        const rep = reps[i];
        const verdict = classify(c, t, rep);
        for (const [k, v] of Object.entries(verdict)) sum[k] += v;
        if (c.kind === 'kernel' && (verdict.spurious || verdict.lost)) odd.push(detail(t, rep));
        if (rep && rep.requestAt !== null) requestDelay.push(rep.requestAt - (t.deadline - TIMEOUT_MS));
        if (rep && rep.sentAfter !== null) sendOffset.push(rep.sentAfter - t.deadline);
        if (rep && rep.sentAfter !== null && rep.sentAfter < t.deadline) sum.arrivedBeforeDeadline++;
        if (rep && rep.flushed === false) sum.notFlushed++;
        sum.trials++;
      });
      ids.forEach((id) => reports.delete(id));
    }
  }
  // How long the request took to reach the peer, and when the message was
  // sent relative to the deadline: the same for every contender if the
  // trials were alike.
  const rows = [...tally.values()].map(({ sum, odd, requestDelay, sendOffset }) => ({
    ...sum,
    requestDelayMs: summarize(requestDelay),
    sentVsDeadlineMs: summarize(sendOffset),
    oddTrials: odd,
  }));
  return { timeoutMs: TIMEOUT_MS, jitterMs: JITTER_MS, trialsPerContender: trials, rows };
}

module.exports = { race };
