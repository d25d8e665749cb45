'use strict';
// Turn-taking for throughput rounds: round r starts with contender r.

function rotate(list, r) {
  const k = r % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

module.exports = { rotate };
