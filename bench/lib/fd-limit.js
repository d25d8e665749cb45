'use strict';
// The fd limit a process really has. Node raises its own soft
// RLIMIT_NOFILE to the hard limit at startup (measured: a shell's
// `ulimit -Sn 256` reads back as the hard 20000 inside node); the hard
// limit is the ceiling, and the scale scenario's largest N comes from it.
const fs = require('node:fs');

/** { soft, hard } of this process (Infinity for unlimited), or null if unreadable. */
function fdLimits() {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'latin1'));
    const num = (v) => (v === 'unlimited' ? Infinity : Number(v));
    return m ? { soft: num(m[1]), hard: num(m[2]) } : null;
  } catch {
    return null;
  }
}

/** This process's soft fd limit (Infinity for unlimited, null if unreadable). */
function ownFdLimit() {
  const l = fdLimits();
  return l ? l.soft : null;
}

module.exports = { fdLimits, ownFdLimit };
