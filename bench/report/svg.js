'use strict';
// Inline SVG charts for the HTML report: strip plots of lateness samples
// (on a log axis) and horizontal bars. No scripts, no fonts, no network.
// Every chart carries a <title> (its accessible name, read by screen
// readers) and is deterministic: the same report gives the same SVG.

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const COLORS = ['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd', '#8c564b', '#17becf'];
const LABEL_W = 130;
const WIDTH = 720;

/** Evenly spaced tick values over [x0, x1]. */
function linearTicks(x0, x1) {
  const span = x1 - x0;
  const step = 10 ** Math.floor(Math.log10(span || 1));
  const stepUsed = span / step > 6 ? step * 2 : span / step < 2.5 ? step / 2 : step;
  const out = [];
  for (let v = Math.ceil(x0 / stepUsed) * stepUsed; v <= x1 + 1e-9; v += stepUsed) out.push(v);
  return out;
}

function axis(x0, x1, scale, y, unit, labelW = LABEL_W, values = linearTicks(x0, x1)) {
  const ticks = [];
  for (const v of values) {
    const px = scale(v);
    ticks.push(`<line x1="${px}" y1="${y}" x2="${px}" y2="${y + 4}" stroke="#666"/>`);
    ticks.push(`<text x="${px}" y="${y + 15}" font-size="10" text-anchor="middle">${+v.toFixed(2)}</text>`);
  }
  ticks.push(`<text x="${WIDTH - 4}" y="${y + 28}" font-size="10" text-anchor="end">${esc(unit)}</text>`);
  return `<line x1="${labelW}" y1="${y}" x2="${WIDTH - 10}" y2="${y}" stroke="#666"/>${ticks.join('')}`;
}

/** The opening tag and accessible name of a chart. */
function svgOpen(width, height, title) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img"><title>${esc(title)}</title>`;
}

/**
 * Vertical jitter for the n-th dot of a row, in [-0.5, 0.5): the golden-ratio
 * sequence spreads the dots evenly and gives the same picture on every render.
 */
const jitter = (n) => ((n * 0.618033988749895) % 1) - 0.5;

/** Linear within LINEAR_MS of zero, logarithmic beyond (a symmetric log axis). */
const LINEAR_MS = 0.1;
const symlog = (v) => Math.sign(v) * Math.log10(1 + Math.abs(v) / LINEAR_MS);

/** Tick values for a symmetric log axis over [lo, hi]: 0 and the powers of ten from LINEAR_MS. */
function logTicks(lo, hi) {
  const out = [0];
  for (let p = LINEAR_MS; p <= Math.max(hi, -lo) * 1.0001; p *= 10) {
    if (p <= hi) out.push(p);
    if (-p >= lo) out.unshift(-p);
  }
  return out;
}

/**
 * series: [{ label, values: [ms...], p50, p99 }]: one row of dots per
 * series, with p50 (|) and p99 (dashed |) marks, on a symmetric log axis
 * (lateness spans 0.01 ms to seconds; a linear axis crushes the small ones).
 */
function stripPlot(series, title, unit = 'ms after the deadline (log scale)') {
  const all = series.flatMap((s) => s.values);
  if (all.length === 0) return '';
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all, LINEAR_MS * 10);
  const rowH = 26;
  const plotW = WIDTH - LABEL_W - 20;
  const scale = (v) => LABEL_W + ((symlog(v) - symlog(lo)) / (symlog(hi) - symlog(lo))) * plotW;
  const h = series.length * rowH + 40;
  const parts = [];
  series.forEach((s, i) => {
    const y = 10 + i * rowH + rowH / 2;
    const color = COLORS[i % COLORS.length];
    parts.push(`<text x="${LABEL_W - 8}" y="${y + 4}" font-size="12" text-anchor="end">${esc(s.label)}</text>`);
    for (const [n, v] of s.values.entries()) {
      parts.push(`<circle cx="${scale(v).toFixed(1)}" cy="${(y + jitter(n) * 10).toFixed(1)}" r="2" fill="${color}" fill-opacity="0.45"/>`);
    }
    if (s.p50 !== null && s.p50 !== undefined) parts.push(`<line x1="${scale(s.p50)}" y1="${y - 10}" x2="${scale(s.p50)}" y2="${y + 10}" stroke="#000" stroke-width="2"><title>p50 ${s.p50} ms</title></line>`);
    if (s.p99 !== null && s.p99 !== undefined) parts.push(`<line x1="${scale(s.p99)}" y1="${y - 10}" x2="${scale(s.p99)}" y2="${y + 10}" stroke="#000" stroke-dasharray="3,2"><title>p99 ${s.p99} ms</title></line>`);
  });
  parts.push(`<line x1="${scale(0)}" y1="4" x2="${scale(0)}" y2="${h - 30}" stroke="#d62728" stroke-dasharray="2,2"/>`);
  parts.push(axis(lo, hi, scale, h - 30, unit, LABEL_W, logTicks(lo, hi)));
  return `${svgOpen(WIDTH, h, title)}${parts.join('')}</svg>`;
}

/**
 * bars: [{ label, value, text?, color? }]; `reference` draws a vertical
 * line (1.0 for ratios).
 */
function barChart(bars, title, { unit = '', reference = null, labelW = LABEL_W } = {}) {
  if (bars.length === 0) return '';
  const rowH = 20;
  const plotW = WIDTH - labelW - 90;
  const hi = Math.max(...bars.map((b) => b.value || 0), reference || 0) || 1;
  const scale = (v) => labelW + (v / hi) * plotW;
  const h = bars.length * rowH + 34;
  const parts = [];
  bars.forEach((b, i) => {
    const y = 6 + i * rowH;
    const color = b.color || COLORS[i % COLORS.length];
    parts.push(`<text x="${labelW - 8}" y="${y + 13}" font-size="12" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 2}" width="${Math.max(0, scale(b.value || 0) - labelW).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`);
    parts.push(`<text x="${(scale(b.value || 0) + 4).toFixed(1)}" y="${y + 13}" font-size="11">${esc(b.text ?? b.value)}</text>`);
  });
  if (reference !== null) parts.push(`<line x1="${scale(reference)}" y1="2" x2="${scale(reference)}" y2="${h - 28}" stroke="#000" stroke-dasharray="4,2"/>`);
  parts.push(axis(0, hi, scale, h - 28, unit, labelW));
  return `${svgOpen(WIDTH, h, title)}${parts.join('')}</svg>`;
}

module.exports = { stripPlot, barChart, esc };
