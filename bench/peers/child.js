'use strict';
// Entry of the peer child process: starts the peer servers, tells the
// parent their ports over IPC, forwards race reports, answers CPU-time
// queries (the ping-pong's CPU per round trip), exits on disconnect.
const { ownFdLimit } = require('../lib/fd-limit');
const { startServers } = require('./servers');

startServers((msg) => process.send(msg)).then(({ ports }) => {
  process.send({ ports, fdLimit: ownFdLimit() });
  process.on('message', (msg) => {
    if (msg && msg.cpuQuery !== undefined) process.send({ cpuReply: msg.cpuQuery, usage: process.cpuUsage() });
  });
  process.on('disconnect', () => process.exit(0));
});
