// Keepalive as net sets it: net.Socket#setKeepAlive(true, ms) and the
// keepAlive / keepAliveInitialDelay connect options go through libuv, which
// sets SO_KEEPALIVE, TCP_KEEPIDLE (whole seconds), TCP_KEEPINTVL 1 and
// TCP_KEEPCNT 10. net has no readback, so a child process does both under
// strace, and the setsockopt calls on net's fd and on ours are compared:
// the same options with the same values. Ours are also read back with
// tcpOptions().
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, tempDir } from './helpers.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace && process.env.CI) throw new Error('CI: strace is missing; test/keepalive.test.ts needs it');

// Opens four connections to a server of its own: net and ours, each with
// setKeepAlive(true, DELAY) after connecting and with the connect options;
// prints each one's fd (and our readback), then exits.
const CHILD = `
const net = require('node:net');
const { once } = require('node:events');
const { createConnection } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
const [engine, delay] = [process.argv[1], Number(process.argv[2])];
(async () => {
  const server = net.createServer(() => {}).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port;
  const out = {};
  const netLate = net.connect(port, '127.0.0.1');
  await once(netLate, 'connect');
  netLate.setKeepAlive(true, delay);
  out.netLate = netLate._handle.fd;
  const netOpt = net.connect({ port, host: '127.0.0.1', keepAlive: true, keepAliveInitialDelay: delay });
  await once(netOpt, 'connect');
  out.netOpt = netOpt._handle.fd;
  const ktsLate = createConnection({ port, host: '127.0.0.1', engine });
  await once(ktsLate, 'connect');
  ktsLate.setKeepAlive(true, delay);
  out.ktsLate = ktsLate.socket.fd;
  out.readback = ktsLate.socket.tcpOptions().keepAlive;
  const ktsOpt = createConnection({ port, host: '127.0.0.1', engine, keepAlive: true, keepAliveInitialDelay: delay });
  await once(ktsOpt, 'connect');
  out.ktsOpt = ktsOpt.socket.fd;
  console.log(JSON.stringify(out));
  process.exit(0);
})();
`;

/** The keepalive setsockopt calls per fd, as sorted "OPTION=value" lists. */
function keepaliveCalls(trace: string): Map<number, string[]> {
  const byFd = new Map<number, string[]>();
  for (const m of trace.matchAll(/setsockopt\((\d+), \w+, (\w*KEEP\w*), \[(\d+)\], \d+\) = 0/g)) {
    const fd = Number(m[1]);
    byFd.set(fd, [...(byFd.get(fd) ?? []), `${m[2]}=${m[3]}`].sort());
  }
  return byFd;
}

function traced(engine: string, delay: number) {
  const t = tempDir();
  // -ff: one file per thread, so a call that another thread's call
  // interrupts is never split into "<unfinished ...>" and "resumed" lines
  // (the stream's reader thread arms SO_RCVTIMEO while the JS thread sets
  // keepalive).
  const log = join(t.dir, 'strace');
  const r = spawnSync(
    'strace',
    ['-ff', '-qq', '-e', 'trace=setsockopt', '-o', log, process.execPath, '-e', CHILD, engine, String(delay)],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const fds = JSON.parse(r.stdout) as Record<'netLate' | 'netOpt' | 'ktsLate' | 'ktsOpt', number> & { readback: unknown };
  const trace = readdirSync(t.dir)
    .filter((f) => f.startsWith('strace.'))
    .map((f) => readFileSync(join(t.dir, f), 'utf8'))
    .join('\n');
  const calls = keepaliveCalls(trace);
  t.cleanup();
  return { fds, calls };
}

describe.runIf(hasStrace).each(ENGINES)('keepalive beside net.Socket (%s engine)', (engine) => {
  it('setKeepAlive(true, 2500) and keepAliveInitialDelay: 2500 set what net sets: idle 2 s, interval 1 s, 10 probes', () => {
    const { fds, calls } = traced(engine, 2500);
    const libuv = ['SO_KEEPALIVE=1', 'TCP_KEEPCNT=10', 'TCP_KEEPIDLE=2', 'TCP_KEEPINTVL=1'];
    expect(calls.get(fds.netLate)).toEqual(libuv);
    expect(calls.get(fds.netOpt)).toEqual(libuv);
    expect(calls.get(fds.ktsLate)).toEqual(calls.get(fds.netLate));
    expect(calls.get(fds.ktsOpt)).toEqual(calls.get(fds.netOpt));
    expect(fds.readback).toEqual({ enabled: true, idle: 2000, interval: 1000, count: 10 });
  });

  it('below a second, as net: SO_KEEPALIVE only, the system timings', () => {
    const { fds, calls } = traced(engine, 500);
    expect(calls.get(fds.netLate)).toEqual(['SO_KEEPALIVE=1']);
    expect(calls.get(fds.ktsLate)).toEqual(calls.get(fds.netLate));
    expect(calls.get(fds.ktsOpt)).toEqual(calls.get(fds.netOpt));
  });
});
