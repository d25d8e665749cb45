'use strict';
// The results as tables: rows of cells per scenario, rendered as Markdown
// for the console and docs/benchmark-results.md, and as HTML by html.js.
const { kLoopTargets } = require('./targets');

const f = (x, digits = 1) => (x === null || x === undefined ? '-' : typeof x === 'number' ? x.toFixed(digits) : String(x));
const trio = (s) => (s && s.n ? `${f(s.p50)} / ${f(s.p99)} / ${f(s.max)}` : '-');
const x = (r) => (r === null || r === undefined ? '-' : `${r.toFixed(2)}x`);
const early = (fi) => (!fi ? '-' : `${fi.early} of ${fi.early + fi.late}${fi.early ? ` (to ${f(fi.earliestMs, 2)} ms)` : ''}`);
const peerName = (c) => (c.peer === 'child' ? 'child process' : 'same process');

/** The table of K-loop's targets (report/targets.js), or null when no scenario of theirs ran. */
function targetsTable(report) {
  const targets = kLoopTargets(report);
  if (!targets.length) return null;
  return {
    title: 'K-loop against its design targets (ratios to net.Socket in this run)',
    note: `K-loop: ${report.contenders.kLoop}.`,
    head: ['target', 'measured', 'verdict'],
    // A verdict on a stand-in (the threads engine under K-loop's name) says so.
    rows: targets.map((t) => [t.target, t.measured, report.contenders.kLoopIsLoopEngine || t.verdict === 'not measured' ? t.verdict : `${t.verdict} (stand-in)`]),
  };
}

/** [{ title, note, head: [...], rows: [[...]] }] for every scenario present. */
function scenarioTables(report) {
  const s = report.scenarios;
  const out = [];
  if (s.lateness && s.lateness.rows) {
    out.push({
      title: '1. Timeout lateness (ms after the deadline: p50 / p99 / max)',
      note: `${s.lateness.note ? `${s.lateness.note}. ` : ''}EARLY: timeouts that fired before their own deadline (a userland timer before its arm call's clock + T).`,
      head: ['loop', 'T (ms)', 'contender', 'seen by JS', 'decided by kernel', 'EARLY'],
      rows: s.lateness.rows.map((r) => [r.loop, r.timeoutMs, r.contender, trio(r.js), r.kernel ? trio(r.kernel) : '-', early(r.firings)]),
    });
  }
  if (s.race && s.race.rows) {
    out.push({
      title: `2. Deadline race (T=${s.race.timeoutMs} ms, message at deadline +/-${s.race.jitterMs} ms, loop busy)`,
      note: 'SPURIOUS: the bytes were in the socket before the deadline, the user got a timeout. LOST: the bytes reached the socket and never reached the user.',
      head: ['contender', 'trials', 'delivered', 'timed out', 'SPURIOUS', 'LOST', 'ambiguous', 'arrived before deadline'],
      rows: s.race.rows.map((r) => [r.contender, r.trials, r.delivered, r.timedOut, r.spurious, r.lost, r.ambiguous, r.arrivedBeforeDeadline]),
    });
  }
  if (s.pingpong && s.pingpong.rows) {
    out.push({
      title: '3. Ping-pong (round trips/s, median window; ratio to net.Socket in the same run: median of the rounds, each against the net windows just before and after)',
      head: ['peer', 'conns', 'bytes', ...s.pingpong.rows[0].results.map((r) => r.contender)],
      rows: s.pingpong.rows.map((c) => [peerName(c), c.connections, c.messageBytes, ...c.results.map((r) => `${r.roundTripsPerSec} (${x(r.ratioToNet)})`)]),
    });
    out.push({
      title: '3b. CPU per round trip (µs, median window: this process + peer child; ratio of this process to net.Socket, paired as in table 3)',
      note: 'This process runs the contender (and, in the same-process cells, the echo peer too); the peer child is the echo peer of the other cells.',
      head: ['peer', 'conns', 'bytes', ...s.pingpong.rows[0].results.map((r) => r.contender)],
      rows: s.pingpong.rows.map((c) => [
        peerName(c),
        c.connections,
        c.messageBytes,
        ...c.results.map((r) => `${f(r.cpuUsPerRoundTrip)}${r.peerCpuUsPerRoundTrip === null ? '' : ` + ${f(r.peerCpuUsPerRoundTrip)}`} (${x(r.cpuRatioToNet)})`),
      ]),
    });
  }
  if (s.bulk && s.bulk.rows) {
    const mib = s.bulk.rows[0].bytes / 2 ** 20;
    out.push({
      title: `4. Bulk (MiB/s in ${mib} MiB windows of 64 KiB ops, median window; ratio to net.Socket in the same run: median of the rounds, each against the net windows just before and after)`,
      head: ['direction', ...s.bulk.rows[0].results.map((r) => r.contender)],
      rows: s.bulk.rows.map((c) => [c.direction, ...c.results.map((r) => `${f(r.mibPerSec, 0)} (${x(r.ratioToNet)})`)]),
    });
    if (s.bulk.rows[0].results[0].cpuUsPerMiB !== undefined) {
      out.push({
        title: '4b. Bulk CPU per MiB (µs, median window: this process + peer child; ratio of this process to net.Socket, paired as in table 4)',
        head: ['direction', ...s.bulk.rows[0].results.map((r) => r.contender)],
        rows: s.bulk.rows.map((c) => [c.direction, ...c.results.map((r) => `${f(r.cpuUsPerMiB, 0)} + ${f(r.peerCpuUsPerMiB, 0)} (${x(r.cpuRatioToNet)})`)]),
      });
    }
  }
  if (s.http && s.http.rows) {
    out.push({
      title: '7. HTTP keep-alive GETs per second (client in a child process; best of the rounds; ratio to stock http.createServer)',
      head: ['connections', 'body bytes', ...s.http.rows[0].results.map((r) => r.contender)],
      rows: s.http.rows.map((c) => [c.connections, c.bodyBytes, ...c.results.map((r) => `${f(r.requestsPerSec, 0)} (${x(r.ratioToHttp)})`)]),
    });
  }
  if (s.http && s.http.tlsRows) {
    out.push({
      title: '7b. HTTPS keep-alive GETs per second (the same over TLS; ratio to stock https.createServer)',
      head: ['connections', 'body bytes', ...s.http.tlsRows[0].results.map((r) => r.contender)],
      rows: s.http.tlsRows.map((c) => [c.connections, c.bodyBytes, ...c.results.map((r) => `${f(r.requestsPerSec, 0)} (${x(r.ratioToHttp)})`)]),
    });
  }
  if (s.scale && s.scale.rows) {
    out.push({
      title: `5. Scale (N pending reads, ${s.scale.timeoutMs} ms timeout, all issued in one tick; lateness p50 / p99 / max ms)`,
      note: `${s.scale.note ? `${s.scale.note}. ` : ''}RSS ratio to ${s.scale.rssReference} (net.Socket + setTimeout rejecting with an Error) at the same N. EARLY: fired before its own deadline.`,
      head: ['N', 'contender', 'timed out', 'EARLY', 'seen by JS', 'decided by kernel', `peak RSS MB (x ${s.scale.rssReference})`, 'peak threads', 'CPU ms while waiting'],
      rows: s.scale.rows.map((r) =>
        r.error || r.skipped
          ? [r.connections, r.contender, r.error ? `error: ${r.error.split('\n')[0]}` : `skipped: ${r.skipped}`, '', '', '', '', '', '']
          : [r.connections, r.contender, r.timedOut, early(r.firings), trio(r.lateJs), r.lateKernel ? trio(r.lateKernel) : '-', `${r.peakRssMB} (${x(r.rssRatioToReference)})`, r.peakThreads, r.cpuWhileWaitingMs],
      ),
    });
  }
  if (s.neighbours && s.neighbours.rows) {
    const n = s.neighbours;
    out.push({
      title: `6. Neighbours (${n.blockedReads} reads blocked for ${n.readTimeoutMs} ms; libuv threadpool ${n.threadpoolSize})`,
      note: n.naive === 'built' ? null : `naive addon ${n.naive}`,
      head: ['blocked reads by', 'fs.readFile ms', "dns.lookup('localhost') ms", 'all reads done ms'],
      rows: n.rows.map((r) => [r.design === 'none' ? 'nothing (baseline)' : r.design === 'naive' ? 'naive AsyncWorker' : r.design, f(r.readFileMs), f(r.dnsLookupMs), f(r.allReadsDoneMs, 0)]),
    });
  }
  for (const [name, v] of Object.entries(s)) {
    if (v && v.error) out.push({ title: `${name}: FAILED`, note: v.error, head: [], rows: [] });
  }
  return out;
}

/** The targets table, then every scenario's. */
function tables(report) {
  const targets = targetsTable(report);
  return targets ? [targets, ...scenarioTables(report)] : scenarioTables(report);
}

function markdown(report) {
  const lines = [];
  for (const t of tables(report)) {
    lines.push(`### ${t.title}`, '');
    if (t.note) lines.push(t.note, '');
    if (t.head.length) {
      lines.push(`| ${t.head.join(' | ')} |`, `|${t.head.map(() => ' --- |').join('')}`);
      for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** One line about the machine, for the tables' heading. */
function machineLine(env) {
  return `Linux ${env.kernel}, ${env.cpuCount} CPU (${env.cpuModel}), HZ ${env.hz ?? env.hzFromRcvtimeo ?? '?'}, Node ${env.node}`;
}

module.exports = { tables, scenarioTables, targetsTable, markdown, machineLine };
