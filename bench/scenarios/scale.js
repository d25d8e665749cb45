'use strict';
// Scenario 5: N connections, each with a pending read and a 1 s timeout,
// all left to time out. One child process per contender and N (see
// scale/holder.js); the peer child holds the other ends.
const { fork } = require('node:child_process');
const path = require('node:path');

const TIMEOUT_MS = 1000;

function hold(name, n, port) {
  return new Promise((resolve) => {
    const child = fork(path.join(__dirname, '..', 'scale', 'holder.js'), [name, String(n), String(port), String(TIMEOUT_MS)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result = { contender: name, connections: n, error: 'no result (killed after 60 s)' };
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('message', (m) => (result = m));
    child.on('exit', () => {
      clearTimeout(kill);
      resolve(result);
    });
  });
}

async function scale(ctx) {
  const sizes = ctx.quick ? [200] : [1000, 5000];
  const names = ctx.contenders.map((c) => c.name).filter((n) => n === 'K' || n === 'K-poll' || n === 'U1');
  const rows = [];
  for (const n of sizes) {
    for (const name of names) {
      ctx.progress(`scale: ${name}, ${n} pending reads`);
      rows.push(await hold(name, n, ctx.ports.silent));
    }
  }
  return { timeoutMs: TIMEOUT_MS, peerFdLimit: ctx.peers.fdLimit, note: ctx.quick ? 'quick: N=200 only (full run: 1000 and 5000)' : null, rows };
}

module.exports = { scale };
