'use strict';
// The results as tables: rows of cells per scenario, rendered as Markdown
// for the console and docs/benchmark-results.md, and as HTML by html.js.

const f = (x, digits = 1) => (x === null || x === undefined ? '-' : typeof x === 'number' ? x.toFixed(digits) : String(x));
const trio = (s) => (s && s.n ? `${f(s.p50)} / ${f(s.p99)} / ${f(s.max)}` : '-');
const x = (r) => (r === null || r === undefined ? '-' : `${r.toFixed(2)}x`);

/** [{ title, note, head: [...], rows: [[...]] }] for every scenario present. */
function tables(report) {
  const s = report.scenarios;
  const out = [];
  if (s.lateness && s.lateness.rows) {
    out.push({
      title: '1. Timeout lateness (ms after the deadline: p50 / p99 / max)',
      note: s.lateness.note,
      head: ['loop', 'T (ms)', 'contender', 'seen by JS', 'decided by kernel'],
      rows: s.lateness.rows.map((r) => [r.loop, r.timeoutMs, r.contender, trio(r.js), r.kernel ? trio(r.kernel) : '-']),
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
      title: '3. Ping-pong (round trips/s, best of the rounds; ratio to net.Socket in the same run)',
      head: ['peer', 'conns', 'bytes', ...s.pingpong.rows[0].results.map((r) => r.contender)],
      rows: s.pingpong.rows.map((c) => [
        c.peer === 'child' ? 'child process' : 'same process',
        c.connections,
        c.messageBytes,
        ...c.results.map((r) => `${r.roundTripsPerSec} (${x(r.ratioToNet)})`),
      ]),
    });
  }
  if (s.bulk && s.bulk.rows) {
    out.push({
      title: `4. Bulk (MiB/s, ${s.bulk.rows[0].bytes / 2 ** 20} MiB in 64 KiB ops, best of the rounds; ratio to net.Socket)`,
      head: ['direction', ...s.bulk.rows[0].results.map((r) => r.contender)],
      rows: s.bulk.rows.map((c) => [c.direction, ...c.results.map((r) => `${f(r.mibPerSec, 0)} (${x(r.ratioToNet)})`)]),
    });
  }
  if (s.scale && s.scale.rows) {
    out.push({
      title: `5. Scale (N pending reads, ${s.scale.timeoutMs} ms timeout; lateness p50 / p99 / max ms)`,
      note: s.scale.note,
      head: ['N', 'contender', 'timed out', 'seen by JS', 'decided by kernel', 'peak RSS MB', 'peak threads', 'CPU ms while waiting'],
      rows: s.scale.rows.map((r) =>
        r.error
          ? [r.connections, r.contender, `error: ${r.error.split('\n')[0]}`, '', '', '', '', '']
          : [r.connections, r.contender, r.timedOut, trio(r.lateJs), r.lateKernel ? trio(r.lateKernel) : '-', r.peakRssMB, r.peakThreads, r.cpuWhileWaitingMs],
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

module.exports = { tables, markdown, machineLine };
