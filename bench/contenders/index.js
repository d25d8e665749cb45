'use strict';
// The contenders of the timeout scenarios, in report order: K (and K-poll
// when the package offers it), then U1..U3.
const { detectPollTimer, kernelContender } = require('./kernel');
const { userlandContenders } = require('./userland');

async function timeoutContenders(port) {
  const list = [kernelContender('K')];
  if (await detectPollTimer(port)) list.push(kernelContender('K-poll', 'poll'));
  return [...list, ...userlandContenders()];
}

module.exports = { timeoutContenders };
