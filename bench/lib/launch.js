'use strict';
// Runs a batch of timed operations either on an idle loop (all launched at
// once) or on a busy loop, each launched from inside a 20 ms chunk of
// synchronous work at a random offset within the first `spreadMs`, so its
// deadline falls at a random phase of the chunks.
const { busyLoop } = require('./busy');
const { nowMs } = require('./clock');

const CHUNK_MS = 20;

/**
 * `launch(i)` starts item i and returns its promise. Resolves to the
 * settled values in order, once every item has settled.
 */
async function runBatch(count, busy, spreadMs, launch) {
  if (!busy) {
    return Promise.all(Array.from({ length: count }, (_, i) => launch(i)));
  }
  const results = new Array(count);
  let failure = null;
  // Launched from inside a chunk: a throw or rejection must not escape as
  // an uncaught error before the batch is awaited; the first one is
  // rethrown once every item has settled.
  const track = (i) => {
    let p;
    try {
      p = launch(i);
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(
      (r) => {
        results[i] = r;
      },
      (err) => {
        failure = failure || err;
      },
    );
  };
  const start = nowMs();
  const order = Array.from({ length: count }, (_, i) => ({ i, at: start + Math.random() * spreadMs }));
  order.sort((a, b) => a.at - b.at);
  const pending = [];
  let next = 0;
  const stop = busyLoop(CHUNK_MS, (now) => {
    while (next < order.length && order[next].at <= now) pending.push(track(order[next++].i));
  });
  try {
    while (next < order.length) await new Promise((r) => setTimeout(r, CHUNK_MS));
    await Promise.all(pending);
  } finally {
    stop();
  }
  if (failure) throw failure;
  return results;
}

module.exports = { runBatch, CHUNK_MS };
