'use strict';
// bench/results/latest.html: one self-contained page (inline SVG and CSS,
// no scripts, no network). K-loop's targets come first, then the race and
// the lateness pictures, then the ratio bars, then every table.
const fs = require('node:fs');
const path = require('node:path');
const { barChart, esc, stripPlot } = require('./svg');
const { machineLine, scenarioTables, targetsTable } = require('./tables');
const { RESULTS } = require('./json');

function raceSection(race) {
  if (!race || !race.rows) return '';
  const colors = { delivered: '#2ca02c', timedOut: '#7f7f7f', spurious: '#ff7f0e', lost: '#d62728' };
  const bars = race.rows.flatMap((r) =>
    ['delivered', 'timedOut', 'spurious', 'lost'].map((k) => ({ label: `${r.contender} ${k === 'timedOut' ? 'timed out' : k}`, value: r[k], color: colors[k] })),
  );
  return `<h2>The deadline race</h2><p>${race.trialsPerContender} trials per contender; read timeout ${race.timeoutMs} ms; the peer sends at the deadline &plusmn;${race.jitterMs} ms while the event loop is busy in 20 ms chunks. Orange: data was there before the deadline, the user got a timeout. Red: bytes reached the socket and never reached the user.</p>${barChart(bars, `The deadline race: outcomes of ${race.trialsPerContender} trials per contender`, { unit: 'trials' })}`;
}

function latenessSection(lateness) {
  if (!lateness || !lateness.rows) return '';
  const groups = new Map();
  for (const r of lateness.rows) {
    const key = `${r.loop} loop, T = ${r.timeoutMs} ms`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ label: `${r.contender} (JS)`, values: r.samplesJs, p50: r.js.p50, p99: r.js.p99 });
    if (r.samplesKernel) groups.get(key).push({ label: `${r.contender} (kernel)`, values: r.samplesKernel, p50: r.kernel.p50, p99: r.kernel.p99 });
  }
  const charts = [...groups].map(([k, series]) => `<h3>${esc(k)}</h3>${stripPlot(series, `Timeout lateness, ${k}: ms after the deadline, one dot per timed-out read`)}`).join('');
  return `<h2>Timeout lateness</h2><p>Each dot is one read that timed out: how long after its deadline JavaScript saw the timeout (JS) or, for K, the kernel decided it (kernel). Solid mark p50, dashed p99; the red line is the deadline. The axis is logarithmic beyond 0.1 ms either side of the deadline (linear within it).</p>${charts}`;
}

const CONTENDER_COLORS = { K: '#1f77b4', 'K-poll': '#17becf', 'K-loop': '#9467bd', 'net+timer': '#7f7f7f' };

function ratioSection(report) {
  const bars = [];
  const pp = report.scenarios.pingpong;
  if (pp && pp.rows) {
    for (const c of pp.rows) {
      for (const r of c.results) {
        if (r.contender === 'net') continue;
        bars.push({ label: `${r.contender}: ping-pong, ${c.peer}, ${c.connections} conn, ${c.messageBytes} B`, value: r.ratioToNet, text: `${r.ratioToNet}x`, color: CONTENDER_COLORS[r.contender] });
      }
    }
  }
  const bulk = report.scenarios.bulk;
  if (bulk && bulk.rows) {
    for (const c of bulk.rows) {
      for (const r of c.results) {
        if (r.contender !== 'net') bars.push({ label: `${r.contender}: bulk ${c.direction}`, value: r.ratioToNet, text: `${r.ratioToNet}x`, color: CONTENDER_COLORS[r.contender] });
      }
    }
  }
  if (!bars.length) return '';
  return `<h2>Throughput as a ratio to net.Socket</h2><p>Same run, same machine; the dashed line is parity (1.0x). Ping-pong peer: child = another process, same = this process.</p>${barChart(bars, 'Throughput as a ratio to net.Socket, higher is better', { unit: 'x net.Socket', reference: 1, labelW: 300 })}`;
}

function cpuSection(pp) {
  if (!pp || !pp.rows) return '';
  const bars = pp.rows.flatMap((c) =>
    c.results
      .filter((r) => r.contender !== 'net' && r.cpuRatioToNet !== null)
      .map((r) => ({ label: `${r.contender}: ${c.peer}, ${c.connections} conn, ${c.messageBytes} B`, value: r.cpuRatioToNet, text: `${r.cpuRatioToNet}x`, color: CONTENDER_COLORS[r.contender] })),
  );
  return `<h2>CPU per round trip as a ratio to net.Socket</h2><p>CPU time (process.cpuUsage) of the process that runs the contender, per ping-pong round trip: each round's window against net's two windows around it, median of the rounds; the dashed line is parity. Lower is better.</p>${barChart(bars, 'CPU per round trip as a ratio to net.Socket, lower is better', { unit: 'x net.Socket CPU', reference: 1, labelW: 300 })}`;
}

function tableHtml(t) {
  const head = t.head.length ? `<tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>` : '';
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<h3>${esc(t.title)}</h3>${t.note ? `<p>${esc(t.note)}</p>` : ''}<table>${head}${rows}</table>`;
}

function targetsSection(report) {
  const t = targetsTable(report);
  return t ? `<h2>K-loop against its targets</h2>${tableHtml(t)}` : '';
}

function renderHtml(report) {
  const env = report.env;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kernel-timeout-socket benchmark</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:980px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}svg{display:block;margin:6px 0 14px}
.meta{color:#555}</style></head><body>
<h1>kernel-timeout-socket benchmark</h1>
<p class="meta">${esc(machineLine(env))}. ${report.quick ? '<b>--quick run</b> (fewer samples, smaller N). ' : ''}Run at ${esc(report.startedAt)}, took ${(report.durationMs / 1000).toFixed(1)} s. Load average at start: ${esc(env.loadAvgAtStart.join(', '))}. Figures are noisy on a shared machine: read ratios within one run, not absolute numbers across runs.</p>
${targetsSection(report)}
${raceSection(report.scenarios.race)}
${latenessSection(report.scenarios.lateness)}
${ratioSection(report)}
${cpuSection(report.scenarios.pingpong)}
<h2>All figures</h2>
${scenarioTables(report).map(tableHtml).join('\n')}
</body></html>
`;
}

function writeHtml(report, file = path.join(RESULTS, 'latest.html')) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, renderHtml(report));
  return file;
}

module.exports = { writeHtml, renderHtml };
