'use strict';
// K: this package. Reads carry their timeout into the kernel; a timeout
// consumes nothing and leaves the socket usable.
const kts = require('../../dist/index.js');
const { nowMs } = require('../lib/clock');

const HOST = '127.0.0.1';

/**
 * Whether connect() knows a `timer` option (issue 6's per-operation poll
 * mode): an unknown value must be refused with ERR_INVALID_ARG_*, or the
 * option is simply ignored and there is no poll mode to measure.
 */
async function detectPollTimer(port) {
  try {
    const s = await kts.connect({ host: HOST, port, timeout: 2000, timer: 'no-such-timer' });
    await s.close();
    return false;
  } catch (err) {
    if (!/^ERR_INVALID_ARG/.test(err.code)) return false;
  }
  try {
    const s = await kts.connect({ host: HOST, port, timeout: 2000, timer: 'poll' });
    await s.close();
    return true;
  } catch {
    return false;
  }
}

/** A K contender; `timer` is undefined (default SO_RCVTIMEO mode) or 'poll'. */
function kernelContender(name, timer) {
  const extra = timer ? { timer } : {};
  return {
    name,
    kind: 'kernel',
    open: (port, options = {}) => kts.connect({ host: HOST, port, timeout: 10_000, ...extra, ...options }),
    request(sock, buf) {
      sock.write(buf).catch(() => {});
    },
    /** One read with a timeout: { ok, at, data } or { ok: false, at, decidedAt }. */
    readOnce(sock, timeout) {
      return sock.read(64, { timeout }).then(
        (data) => ({ ok: data !== null, at: nowMs(), data }),
        (err) => {
          if (!(err instanceof kts.TimeoutError)) throw err;
          return { ok: false, at: nowMs(), decidedAt: err.decidedAt };
        },
      );
    },
    /** After a timeout K's socket is still whole: read what came since. */
    recover(sock, timeout) {
      return sock.read(64, { timeout }).catch(() => null);
    },
    close: (sock) => sock.close(),
  };
}

module.exports = { detectPollTimer, kernelContender, kts, HOST };
