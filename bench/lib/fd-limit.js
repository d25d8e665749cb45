'use strict';
// The fd limit a process really has. Node raises its own soft
// RLIMIT_NOFILE to the hard limit at startup (measured: a shell's
// `ulimit -Sn 256` reads back as the hard 20000 inside node), so the bench
// only reads and reports it; the hard limit is the ceiling.
const fs = require('node:fs');

/** This process's soft fd limit (Infinity for unlimited, null if unreadable). */
function ownFdLimit() {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'latin1'));
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : null;
  } catch {
    return null;
  }
}

module.exports = { ownFdLimit };
