'use strict';
// Entry of the peer child process: starts the peer servers, tells the
// parent their ports over IPC, forwards race reports, exits on disconnect.
const { ownFdLimit } = require('../lib/fd-limit');
const { startServers } = require('./servers');

startServers((msg) => process.send(msg)).then(({ ports }) => {
  process.send({ ports, fdLimit: ownFdLimit() });
  process.on('disconnect', () => process.exit(0));
});
