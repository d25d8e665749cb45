'use strict';
// The throughput contenders (ping-pong, bulk): plain net.Socket (the
// baseline every ratio divides by), net.Socket with a per-round-trip
// setTimeout/clearTimeout (U2's cost), and K (and K-poll when offered),
// K-loop.
const { nowMs } = require('../lib/clock');
const { kernelContender, kernelNames } = require('./kernel');
const { openNet } = require('./userland');

const GUARD_MS = 10_000; // every op has a timeout; none should expire

/** Round trips of `msg` on one net.Socket until `until` (ms); resolves to the count. */
function netPingPong(socket, msg, withTimer, until) {
  return new Promise((resolve, reject) => {
    let got = 0;
    let count = 0;
    let timer;
    const onTimeout = () => reject(new Error('net ping-pong timed out'));
    const send = () => {
      if (withTimer) timer = setTimeout(onTimeout, GUARD_MS);
      socket.write(msg);
    };
    const onData = (d) => {
      got += d.length;
      if (got < msg.length) return;
      got -= msg.length;
      count++;
      if (withTimer) clearTimeout(timer);
      if (nowMs() >= until) {
        socket.removeListener('data', onData);
        resolve(count);
      } else send();
    };
    socket.on('data', onData);
    send();
  });
}

async function kernelPingPong(sock, msg, until) {
  let count = 0;
  do {
    await sock.write(msg, { timeout: GUARD_MS });
    await sock.readExactly(msg.length, { timeout: GUARD_MS });
    count++;
  } while (nowMs() < until);
  return count;
}

// Bulk: one request on a connection that stays open for many. Download:
// write the 8-byte size, the source peer sends that many bytes, read them
// (net: 'data' events of libuv's 64 KiB reads; K: read(65536) until all
// came). Upload: write the size, then that many bytes in 64 KiB writes
// (net: write() until it asks for 'drain'; K: each write awaited), the
// sink peer answers one byte when it has them all. Each resolves to
// { bytes, ops }: bytes moved, and the reads ('data' events) or writes it
// took.

/** Downloads `size` bytes from the source peer. */
function netDownload(socket, header, size) {
  return new Promise((resolve) => {
    let n = 0;
    let ops = 0;
    const onData = (d) => {
      n += d.length;
      ops++;
      if (n < size) return;
      socket.removeListener('data', onData);
      resolve({ bytes: n, ops });
    };
    socket.on('data', onData);
    socket.write(header);
  });
}

async function kernelDownload(sock, header, size) {
  await sock.write(header, { timeout: GUARD_MS });
  let n = 0;
  let ops = 0;
  while (n < size) {
    const b = await sock.read(65536, { timeout: GUARD_MS });
    if (b === null) throw new Error(`bulk download: end of stream after ${n} of ${size} bytes`);
    n += b.length;
    ops++;
  }
  return { bytes: n, ops };
}

/** Uploads `size` bytes in 64 KiB writes to the sink peer, then waits for its ack. */
function netUpload(socket, header, chunk, size) {
  return new Promise((resolve) => {
    let left = size;
    socket.once('data', () => resolve({ bytes: size, ops: Math.ceil(size / chunk.length) }));
    socket.write(header);
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return socket.once('drain', pump);
      }
    };
    pump();
  });
}

async function kernelUpload(sock, header, chunk, size) {
  await sock.write(header, { timeout: GUARD_MS });
  for (let left = size; left > 0; ) {
    const n = Math.min(left, chunk.length);
    left -= n;
    await sock.write(n === chunk.length ? chunk : chunk.subarray(0, n), { timeout: GUARD_MS });
  }
  await sock.readExactly(1, { timeout: GUARD_MS });
  return { bytes: size, ops: Math.ceil(size / chunk.length) };
}

function netContender(name, withTimer) {
  return {
    name,
    open: openNet,
    pingPong: (s, msg, until) => netPingPong(s, msg, withTimer, until),
    download: netDownload,
    upload: netUpload,
    close: (s) => s.destroy(),
  };
}

function kernelThroughput(name) {
  const k = kernelContender(name);
  return {
    name,
    open: k.open,
    pingPong: kernelPingPong,
    download: kernelDownload,
    upload: kernelUpload,
    close: k.close,
  };
}

/** `offered`: { poll, loop }, whether this build has K-poll and K-loop. */
function throughputContenders(offered) {
  return [netContender('net', false), netContender('net+timer', true), ...kernelNames(offered).map((n) => kernelThroughput(n))];
}

module.exports = { throughputContenders };
