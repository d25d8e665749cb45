'use strict';
// The socket options every contender's connections get, K's and net's alike,
// so a ratio compares engines and not Nagle: net.Socket is opened with
// `net.connect({ ...SOCKET_OPTIONS })`, K with `kts.connect({ ...SOCKET_OPTIONS })`
// (both set TCP_NODELAY on the connected socket).
const SOCKET_OPTIONS = Object.freeze({ noDelay: true });

module.exports = { SOCKET_OPTIONS };
