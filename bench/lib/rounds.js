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

module.exports = { rotate, sandwich };
