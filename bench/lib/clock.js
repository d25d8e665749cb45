'use strict';
// One clock for every figure: ms on process.hrtime's clock (CLOCK_MONOTONIC
// on Linux, shared by every process on the machine), the clock the addon
// uses for TimeoutError#decidedAt.

/** Now, in ms on process.hrtime's clock. */
function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after `ms`; for pacing between phases, never for synchronization. */
function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { nowMs, pause };
