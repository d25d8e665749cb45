'use strict';
// K, K-poll and K-loop: this package. Reads carry their timeout to a native
// decision (the kernel's SO_RCVTIMEO, a ppoll, or the loop engine's
// deadline thread); a timeout consumes nothing and leaves the socket usable.
const kts = require('../../dist/index.js');
const { nowMs } = require('../lib/clock');
const { SOCKET_OPTIONS } = require('../lib/socket-options');

const HOST = '127.0.0.1';

/** The connect() options that make each kernel contender. */
const VARIANTS = {
  K: {},
  'K-poll': { timer: 'poll' },
  'K-loop': { engine: 'loop' },
};

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

/**
 * What `connect({ engine: 'loop' })` gives (issue 9): { engine } with the
 * socket's own `engine` property, null when this build has no such property
 * (then the option is ignored and K-loop runs the threads engine, a
 * stand-in the report says it is); or { error } when the connect fails
 * (then there is no K-loop to measure).
 */
async function detectLoopEngine(port) {
  let s;
  try {
    s = await kts.connect({ host: HOST, port, timeout: 2000, ...VARIANTS['K-loop'] });
  } catch (err) {
    return { error: `${err.code || err.name}: ${err.message}` };
  }
  try {
    return { engine: typeof s.engine === 'string' ? s.engine : null };
  } finally {
    await s.close();
  }
}

/**
 * The kernel contenders to measure, in report order; `offered` says whether
 * this build has K-poll and K-loop ({ poll, loop }, from the detect calls).
 */
function kernelNames(offered) {
  return Object.keys(VARIANTS).filter((n) => (n !== 'K-poll' || offered.poll) && (n !== 'K-loop' || offered.loop));
}

/** A kernel contender by name: 'K', 'K-poll' or 'K-loop'. */
function kernelContender(name) {
  const extra = VARIANTS[name];
  if (!extra) throw new Error(`no kernel contender named ${name}`);
  return {
    name,
    kind: 'kernel',
    open: (port, options = {}) => kts.connect({ host: HOST, port, timeout: 10_000, ...SOCKET_OPTIONS, ...extra, ...options }),
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

module.exports = { detectLoopEngine, detectPollTimer, kernelContender, kernelNames, kts, HOST };
