'use strict';
// The contenders of the timeout scenarios, in report order: K (and K-poll
// when the package offers it), K-loop, then U1..U3.
const { detectPollTimer, kernelContender, kernelNames } = require('./kernel');
const { userlandContenders } = require('./userland');

/** `offered`: { poll, loop }, whether this build has K-poll and K-loop. */
function timeoutContenders(offered) {
  return [...kernelNames(offered).map((n) => kernelContender(n)), ...userlandContenders()];
}

module.exports = { timeoutContenders, detectPollTimer };
