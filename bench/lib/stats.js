'use strict';
// Summaries of samples: percentiles by the nearest-rank method.

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** { n, min, p50, p99, max, mean } of an array of numbers (ms), rounded to 0.01. */
function summarize(samples) {
  const sorted = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, min: null, p50: null, p99: null, max: null, mean: null };
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    n: sorted.length,
    min: round(sorted[0]),
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(mean),
  };
}

function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function median(values) {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** `value / base`, rounded, or null when either is missing. */
function ratio(value, base) {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return null;
  return round(value / base, 2);
}

/** CPU µs of a process.cpuUsage() reading (user + system). */
const cpuMicros = (u) => u.user + u.system;

module.exports = { summarize, percentile, median, round, ratio, cpuMicros };
