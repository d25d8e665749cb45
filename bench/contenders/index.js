'use strict';
// The contenders of the timeout scenarios, in report order: K (and K-poll
// when the package offers it), K-loop, then U1..U3.
const { detectPollTimer, kernelContender, kernelNames } = require('./kernel');
const { userlandContenders } = require('./userland');

/** `hasPoll`: whether this build offers K-poll (detectPollTimer). */
function timeoutContenders(hasPoll) {
  return [...kernelNames(hasPoll).map((n) => kernelContender(n)), ...userlandContenders()];
}

module.exports = { timeoutContenders, detectPollTimer };
