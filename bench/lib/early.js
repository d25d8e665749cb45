'use strict';
// EARLY firings: timeouts reported before their deadline. Node arms a timer
// from the loop's cached time, so a userland timer armed late in a long
// tick fires before (the arm call's own clock + timeout). A kernel
// contender's verdict is early if it was decided before the deadline taken
// just before the call (which is before the native side armed anything, so
// this never over-counts).
const { round } = require('./stats');

/** How far before its deadline (ms, negative) a timed-out read fired; >= 0 is on time. */
function offsetFromOwnDeadline(r, timeout) {
  if (r.armedAt !== undefined) return r.at - (r.armedAt + timeout);
  if (r.decidedAt !== undefined) return r.decidedAt - r.deadline;
  return r.at - r.deadline;
}

/**
 * `timedOut`: results of reads that timed out, each with `deadline` (taken
 * before the call) and the contender's stamps. Returns { early, late,
 * earliestMs }: how many fired before their own deadline, how many at or
 * after it, and the earliest offset (ms, negative) or null.
 */
function firings(timedOut, timeout) {
  let early = 0;
  let earliest = null;
  for (const r of timedOut) {
    const off = offsetFromOwnDeadline(r, timeout);
    if (!(off < 0)) continue;
    early++;
    earliest = earliest === null ? off : Math.min(earliest, off);
  }
  return { early, late: timedOut.length - early, earliestMs: earliest === null ? null : round(earliest, 2) };
}

module.exports = { firings };
