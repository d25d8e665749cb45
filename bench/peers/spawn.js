'use strict';
// The parent's handle on the peer child process.
const { fork } = require('node:child_process');
const path = require('node:path');

/**
 * Forks peers/child.js; resolves to { ports, onReport(fn), cpuUsage(),
 * stop() }. Race reports arrive through onReport; cpuUsage() resolves to
 * the child's process.cpuUsage().
 */
function spawnPeers() {
  const child = fork(path.join(__dirname, 'child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let listener = () => {};
  let nextQuery = 0;
  const queries = new Map();
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
          cpuUsage() {
            return new Promise((done) => {
              const id = nextQuery++;
              queries.set(id, done);
              child.send({ cpuQuery: id });
            });
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
      else if (msg.cpuReply !== undefined) {
        queries.get(msg.cpuReply)(msg.usage);
        queries.delete(msg.cpuReply);
      }
    });
  });
}

module.exports = { spawnPeers };
