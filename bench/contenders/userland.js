'use strict';
// U1..U3: net.Socket with a userland timer, each the idiomatic way, and on
// timeout the idiomatic reaction: destroy() the socket (its state is
// unknown: U1's 'timeout' handler does exactly this in Node's docs).
// Each read reports `armedAt`, stamped just before its timer is armed:
// Node arms timers from the loop's cached time, so a timer armed late in a
// long tick can fire before armedAt + timeout (an EARLY firing).
const net = require('node:net');
const events = require('node:events');
const { nowMs } = require('../lib/clock');
const { SOCKET_OPTIONS } = require('../lib/socket-options');

const HOST = '127.0.0.1';

function open(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port, ...SOCKET_OPTIONS });
    s.once('connect', () => {
      s.removeListener('error', reject);
      s.on('error', () => {}); // a reset after our own destroy is expected
      resolve(s);
    });
    s.once('error', reject);
  });
}

function timedOut(socket, armedAt) {
  const at = nowMs();
  socket.destroy();
  return { ok: false, at, armedAt, destroyedAt: nowMs() };
}

/** U1: socket.setTimeout(ms) + destroy() on 'timeout'. */
function readU1(socket, timeout) {
  return new Promise((resolve) => {
    const done = () => {
      socket.setTimeout(0);
      socket.removeListener('data', onData);
      socket.removeListener('timeout', onTimeout);
      socket.pause();
    };
    const onData = (data) => {
      done();
      resolve({ ok: true, at: nowMs(), data });
    };
    const onTimeout = () => {
      done();
      resolve(timedOut(socket, armedAt));
    };
    socket.on('data', onData);
    socket.once('timeout', onTimeout);
    const armedAt = nowMs();
    socket.setTimeout(timeout);
  });
}

/** U2: a setTimeout/clearTimeout armed around the read. */
function readU2(socket, timeout) {
  return new Promise((resolve) => {
    const onData = (data) => {
      clearTimeout(timer);
      socket.pause();
      resolve({ ok: true, at: nowMs(), data });
    };
    const armedAt = nowMs();
    const timer = setTimeout(() => {
      socket.removeListener('data', onData);
      resolve(timedOut(socket, armedAt));
    }, timeout);
    socket.once('data', onData);
  });
}

/**
 * U2-reject: U2 written as a promise API would be (scale scenario only):
 * the timer rejects the read with an Error built when it fires, stack and
 * all, as a userland timeout would; the caller's catch sees it, then
 * destroys the socket as U2 does. The fair baseline for K's settlement cost,
 * which also builds an Error and rejects a promise per timeout.
 */
async function readU2Reject(socket, timeout) {
  const armedAt = nowMs();
  try {
    const data = await new Promise((resolve, reject) => {
      const onData = (d) => {
        clearTimeout(timer);
        socket.pause();
        resolve(d);
      };
      const timer = setTimeout(() => {
        socket.removeListener('data', onData);
        reject(new Error(`read timed out after ${timeout} ms`));
      }, timeout);
      socket.once('data', onData);
    });
    return { ok: true, at: nowMs(), data };
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return timedOut(socket, armedAt);
  }
}

/** U3: events.once(socket, 'data', { signal: AbortSignal.timeout(ms) }). */
async function readU3(socket, timeout) {
  const armedAt = nowMs();
  try {
    const [data] = await events.once(socket, 'data', { signal: AbortSignal.timeout(timeout) });
    socket.pause();
    return { ok: true, at: nowMs(), data };
  } catch (err) {
    if (err.name !== 'AbortError') throw err;
    return timedOut(socket, armedAt);
  }
}

function userlandContender(name, readOnce) {
  return {
    name,
    kind: 'userland',
    open,
    request(socket, buf) {
      socket.write(buf);
    },
    readOnce,
    recover: null,
    close(socket) {
      socket.destroy();
    },
  };
}

const userlandContenders = () => [
  userlandContender('U1', readU1),
  userlandContender('U2', readU2),
  userlandContender('U3', readU3),
];

/** Contenders only the scale scenario runs (its fair baseline for K-loop). */
const scaleOnlyContenders = () => [userlandContender('U2-reject', readU2Reject)];

module.exports = { userlandContenders, scaleOnlyContenders, openNet: open };
