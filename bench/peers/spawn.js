'use strict';
// The parent's handle on the peer child process.
const { fork } = require('node:child_process');
const path = require('node:path');

/**
 * Forks peers/child.js; resolves to { ports, onReport(fn), stop() }.
 * Race reports arrive through onReport.
 */
function spawnPeers() {
  const child = fork(path.join(__dirname, 'child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let listener = () => {};
  return new Promise((resolve, reject) => {
    const kill = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('peer child did not start within 10 s'));
    }, 10_000);
    child.once('error', reject);
    child.on('message', (msg) => {
      if (msg.ports) {
        clearTimeout(kill);
        resolve({
          ports: msg.ports,
          fdLimit: msg.fdLimit,
          pid: child.pid,
          onReport(fn) {
            listener = fn;
          },
          stop() {
            return new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.disconnect();
            });
          },
        });
      } else if (msg.race) listener(msg.race);
    });
  });
}

module.exports = { spawnPeers };
