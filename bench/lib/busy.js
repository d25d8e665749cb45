'use strict';
// Keeps the event loop busy with synchronous work in fixed chunks (20 ms in
// the scenarios), one chunk per loop iteration (setImmediate), so timers
// and I/O only run in the gaps between chunks: timers first, then I/O.
const { nowMs } = require('./clock');

/**
 * Starts the busy loop; returns stop(). `onSpin(now)`, if given, is called
 * from inside the spinning chunk (the race launches trials from there, at
 * random points of a chunk).
 */
function busyLoop(chunkMs, onSpin) {
  let stopped = false;
  const chunk = () => {
    if (stopped) return;
    const end = nowMs() + chunkMs;
    for (let t = nowMs(); t < end; t = nowMs()) {
      if (onSpin) onSpin(t);
    }
    setImmediate(chunk);
  };
  setImmediate(chunk);
  return () => {
    stopped = true;
  };
}

module.exports = { busyLoop };
