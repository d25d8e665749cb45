'use strict';
// Turn-taking for throughput rounds.

/** Round r starts with contender r. */
function rotate(list, r) {
  const k = r % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * One round of a paired schedule: the baseline's window before every other
 * contender's and once more after the last, so each of them runs between
 * two windows of the baseline (B X1 B X2 ... Xk B), in an order rotated per
 * round. Returns [{ c, before, after }] in running order: `before` and
 * `after` index this round's baseline windows (0..k) flanking c; null for
 * the baseline's own windows.
 */
function sandwich(baseline, others, r) {
  const out = [{ c: baseline, before: null, after: null }];
  rotate(others, r).forEach((c, i) => {
    out.push({ c, before: i, after: i + 1 });
    out.push({ c: baseline, before: null, after: null });
  });
  return out;
}

/**
 * Runs one round of the paired schedule: `run(c)` resolves to a window of
 * contender c. `windows` (name -> list) gets every window in running order,
 * `pairs` (name -> list) one { w, b, a } per other contender: its window and
 * the baseline's windows just before and after it.
 */
async function pairedRound(baseline, others, r, run, windows, pairs) {
  const base = [];
  const mine = [];
  for (const step of sandwich(baseline, others, r)) {
    const w = await run(step.c);
    windows.get(step.c.name).push(w);
    if (step.before === null) base.push(w);
    else mine.push([step, w]);
  }
  for (const [step, w] of mine) pairs.get(step.c.name).push({ w, b: base[step.before], a: base[step.after] });
}

module.exports = { rotate, sandwich, pairedRound };
