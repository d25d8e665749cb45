'use strict';
// The peers every scenario talks to: plain net servers on 127.0.0.1, one
// per behaviour. They run in a child process (peers/child.js) or, for the
// same-process ping-pong, in the bench's own process.
const net = require('node:net');
const { nowMs } = require('../lib/clock');

const CHUNK = 64 * 1024;

/** Echoes every byte back. */
function echo(socket) {
  socket.setNoDelay(true);
  socket.on('data', (d) => socket.write(d));
  socket.on('error', () => {});
}

/** Reads and discards; never writes (timeouts, scale, neighbours). */
function silent(socket) {
  socket.resume();
  socket.on('error', () => {});
}

const FILL = Buffer.alloc(CHUNK, 0x61);
const ONE = Buffer.from([1]);

/**
 * Splits what the client sends into requests: an 8-byte little-endian size,
 * then `bodyOf(size)` bytes of body; `onRequest(size)` after each whole one.
 * A connection carries any number of them, one after another.
 */
function requests(socket, bodyOf, onRequest) {
  let header = Buffer.alloc(0);
  let size = 0;
  let body = -1; // body bytes still to come; -1 while reading a header
  const step = () => {
    if (body > 0) return;
    body = -1;
    onRequest(size);
  };
  socket.on('error', () => {});
  socket.on('data', (d) => {
    while (d.length > 0) {
      if (body < 0) {
        const take = Math.min(8 - header.length, d.length);
        header = Buffer.concat([header, d.subarray(0, take)]);
        d = d.subarray(take);
        if (header.length < 8) return;
        size = Number(header.readBigUInt64LE(0));
        header = Buffer.alloc(0);
        body = bodyOf(size);
      } else {
        const take = Math.min(body, d.length);
        body -= take;
        d = d.subarray(take);
      }
      step();
    }
  });
}

/** Writes `n` bytes in 64 KiB writes, waiting for 'drain' when told to. */
function pump(socket, n) {
  let left = n;
  const more = () => {
    while (left > 0) {
      const k = Math.min(left, CHUNK);
      left -= k;
      if (!socket.write(k === CHUNK ? FILL : FILL.subarray(0, k))) {
        socket.once('drain', more);
        return;
      }
    }
  };
  more();
}

/** Bulk download: per request (an 8-byte size), sends that many bytes. */
function source(socket) {
  requests(
    socket,
    () => 0,
    (size) => pump(socket, size),
  );
}

/** Bulk upload: per request (an 8-byte size), counts that many bytes, then answers one byte. */
function sink(socket) {
  requests(
    socket,
    (size) => size,
    () => socket.write(ONE),
  );
}

/**
 * The deadline race's scripted peer. Each connection carries one trial: a
 * 12-byte request (trial id u32, send-at f64 in ms on the shared monotonic
 * clock), then at send-at the peer writes a 16-byte message. When the
 * connection is over it reports when it wrote (sentBefore/sentAfter, around
 * the write() that went straight into the kernel) and what the kernel told
 * it: `resetBeforeEnd` = ECONNRESET with no FIN before it, which is what a
 * client closing with our message unread in its queue causes (and also a
 * write that lands after the client's FIN, before this loop saw the FIN:
 * the bench tells the two apart by the clock, see README).
 */
function race(report) {
  return (socket) => {
    const t = { id: -1, requestAt: null, sentBefore: null, sentAfter: null, flushed: null, endSeen: false, resetBeforeEnd: false };
    let request = Buffer.alloc(0);
    let timer;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      request = Buffer.concat([request, d]);
      if (t.id >= 0 || request.length < 12) return;
      t.id = request.readUInt32LE(0);
      t.requestAt = nowMs();
      const sendAt = request.readDoubleLE(4);
      timer = setTimeout(() => {
        if (socket.destroyed || socket.writableEnded) return;
        const msg = Buffer.alloc(16);
        msg.writeUInt32LE(t.id, 0);
        t.sentBefore = nowMs();
        socket.write(msg);
        t.sentAfter = nowMs();
        // 0 here means libuv's write went straight into the kernel, so on
        // loopback the bytes were in the client's queue by sentAfter.
        t.flushed = socket.writableLength === 0;
      }, Math.max(0, sendAt - nowMs()));
    });
    socket.on('end', () => {
      t.endSeen = true;
    });
    socket.on('error', (err) => {
      if (err.code === 'ECONNRESET' && !t.endSeen) t.resetBeforeEnd = true;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (t.id >= 0) report({ race: t });
    });
  };
}

// Silent listeners the scale scenario spreads its connections over. With
// one destination port, the kernel's ephemeral-port search on connect()
// grows with the connections already open to it: 19 000 connections to one
// port took 37 s (17 s of it system time), spread over 16 ports 3.7 s
// (measured).
const SCALE_PORTS = 16;

async function listenOn(handler) {
  const s = net.createServer({ noDelay: true }, handler);
  await new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve);
  });
  return s;
}

/**
 * Starts every peer server; resolves to { ports, close() }: ports.<name>
 * for each behaviour, ports.scale a list of silent ports.
 */
async function startServers(report = () => {}) {
  const handlers = { echo, silent, source, sink, race: race(report) };
  const servers = [];
  const ports = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const s = await listenOn(handler);
    servers.push(s);
    ports[name] = s.address().port;
  }
  ports.scale = [];
  for (let i = 0; i < SCALE_PORTS; i++) {
    const s = await listenOn(silent);
    servers.push(s);
    ports.scale.push(s.address().port);
  }
  const close = () =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections?.();
          }),
      ),
    );
  return { ports, close };
}

module.exports = { startServers };
