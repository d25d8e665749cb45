// The two races of an HTTP server's timeouts, for http-server-race.test.ts
// and https-server-race.test.ts. The server's event loop stalls (in
// setImmediate: a stall inside a timer callback does not trigger the race,
// see HTTP-SERVER.md) while the client, in a child process
// (fixtures/http-race-client.js), puts the bytes that should win into the
// server's kernel; the stall lasts past their deadline.
//
// Whether those bytes came before the deadline is established, not hoped
// for. The client writes with Nagle off (with it on, a small second write
// waits in the client's kernel for the first one's ACK, its callback having
// run) and reports when its last write's callback ran: on loopback that
// send put the bytes in the server's socket. An attempt counts only if that
// was before the deadline, with a margin for the clock's start (read here
// just after the server's), and if, when the stall ended, the client's
// kernel held none of them unacknowledged. A client the machine's load
// kept off the CPU past the deadline makes an attempt that proves nothing
// either way (a 408 is then the right answer): it is logged with its
// times and the race run again, up to ATTEMPTS times.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, vi } from 'vitest';
import { tcpEnds } from './kernel-wait.js';
import { runChild } from './stress-helpers.js';

export type Scenario = 'keepalive' | 'headers';
/** Makes the server under test with these http options and request listener. */
export type Serve = (options: http.ServerOptions, listener: http.RequestListener) => http.Server;

const KEEP_ALIVE_MS = 1000;
/** Past every Node's keep-alive timer (keepAliveTimeout + a buffer of up to 1000 ms). */
const KEEP_ALIVE_STALL_MS = KEEP_ALIVE_MS + 1000 + 700;
const HEADERS_MS = 1000;
const HEADERS_STALL_MS = HEADERS_MS + 1500;
/** Bytes sent this long before the deadline count as in time (the clock starts just before we read it). */
const MARGIN_MS = 50;
const ATTEMPTS = 3;
/** A race's child: about 3 s; its kill timer. */
const CHILD_MS = 20_000;
// A race test may run every attempt's child to its kill timer.
vi.setConfig({ testTimeout: ATTEMPTS * CHILD_MS + 5000 });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** When each step of one attempt happened (epoch ms; null: it did not happen). */
interface ServerTimes {
  /** Just after the server started the clock under test (the accept, the handshake's end, the response's end). */
  clockStart: number | null;
  stallStart: number | null;
  /** When the stall saw <dir>/sent, and the instant it holds: the client's kernel had taken the bytes. */
  sentSeen: number | null;
  sent: number | null;
  stallEnd: number | null;
  port: number;
  /** At the stall's end, each end's unacknowledged and unread bytes. */
  queues?: { server?: Queues; client?: Queues };
}

/**
 * Blocks the event loop: tells the client (dir/stalling), then runs until the
 * client says its kernel took its bytes (dir/sent, bounded) and `ms` have
 * passed; then notes where the bytes are.
 */
function stall(dir: string, ms: number, t: ServerTimes): void {
  t.stallStart = Date.now();
  const until = t.stallStart + ms;
  const giveUp = t.stallStart + 10_000;
  writeFileSync(join(dir, 'stalling'), '');
  while ((t.sentSeen === null || Date.now() < until) && Date.now() < giveUp) {
    // a synchronous stall, as a slow handler or a GC pause
    if (t.sentSeen === null && existsSync(join(dir, 'sent'))) {
      t.sentSeen = Date.now();
      t.sent = JSON.parse(readFileSync(join(dir, 'sent'), 'utf8'));
    }
  }
  t.stallEnd = Date.now();
  t.queues = queues(t.port);
}

/** One end of the loopback connection in /proc/net/tcp: its unacknowledged (tx) and unread (rx) bytes. */
interface Queues {
  tx: number;
  rx: number;
}

/**
 * Both ends of the loopback connection to `port`, from /proc/net/tcp
 * (Linux; none elsewhere), so a report says which kernel held the bytes:
 * unread at the server, or unsent or unacknowledged at the client.
 */
function queues(port: number): { server?: Queues; client?: Queues } {
  const ends: { server?: Queues; client?: Queues } = {};
  for (const e of tcpEnds(port)) {
    if (e.st !== '01') continue; // ESTABLISHED only
    ends[e.local ? 'server' : 'client'] = { tx: e.tx, rx: e.rx };
  }
  return ends;
}

export interface RaceResult {
  statuses: number[];
  error: string | null;
  /** Each attempt's times, relative to its clock's start, and outcome: the message of a failed assertion. */
  report: string;
}

/**
 * Plays `scenario` against the server `serve` makes, the client speaking
 * plain TCP or TLS, until an attempt's bytes provably reached the server's
 * kernel before its deadline: what statuses that attempt got and its error
 * code. Throws, with every attempt's times, if none did.
 */
export async function race(serve: Serve, scenario: Scenario, transport: 'tcp' | 'tls' = 'tcp'): Promise<RaceResult> {
  const reports: string[] = [];
  for (let i = 1; i <= ATTEMPTS; i++) {
    const a = await attempt(serve, scenario, transport);
    reports.push(`attempt ${i}: ${a.report}`);
    // An attempt that proves nothing is worth a line in the log; KTS_RACE_LOG=1 logs them all.
    if (!a.inTime || process.env.KTS_RACE_LOG) console.log(`http-race ${scenario} over ${transport}: ${reports.at(-1)}`);
    if (a.inTime) return { statuses: a.statuses, error: a.error, report: reports.join('\n') };
  }
  throw new Error(
    `in ${ATTEMPTS} attempts the client's bytes never reached the server's kernel ${MARGIN_MS} ms before the deadline ` +
      `(the machine too loaded to run the child in time), so no attempt could show the race:\n${reports.join('\n')}`,
  );
}

async function attempt(
  serve: Serve,
  scenario: Scenario,
  transport: 'tcp' | 'tls',
): Promise<{ statuses: number[]; error: string | null; inTime: boolean; report: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kts-http-'));
  dirs.push(dir);
  const t: ServerTimes = { clockStart: null, stallStart: null, sentSeen: null, sent: null, stallEnd: null, port: 0 };
  const options: http.ServerOptions =
    scenario === 'keepalive'
      ? { keepAliveTimeout: KEEP_ALIVE_MS }
      : // Stock's sweep every 100 ms, so its verdict comes right after the stall.
        { headersTimeout: HEADERS_MS, requestTimeout: 5000, connectionsCheckingInterval: 100 };
  let finished = 0;
  const server = serve(options, (_req, res) => {
    res.end('ok');
    // The first response is out: stall while the next request arrives in time.
    if (scenario === 'keepalive' && ++finished === 1) {
      res.on('finish', () => {
        t.clockStart = Date.now();
        setImmediate(() => stall(dir, KEEP_ALIVE_STALL_MS, t));
      });
    }
  });
  if (scenario === 'headers') {
    // Stall from the start of the first request's clock on (the accept; over
    // TLS, the handshake's end), while the headers arrive in time.
    server.on(transport === 'tls' ? 'secureConnection' : 'connection', () => {
      t.clockStart = Date.now();
      setImmediate(() => stall(dir, HEADERS_STALL_MS, t));
    });
  }
  // What became of the server's connection: its errors and its close.
  const events: Array<{ what: string; at: number }> = [];
  server.prependListener(transport === 'tls' ? 'secureConnection' : 'connection', (socket: NodeJS.EventEmitter) => {
    socket.on('error', (e: NodeJS.ErrnoException) => events.push({ what: `error ${e.code ?? e.message}`, at: Date.now() }));
    socket.on('close', () => events.push({ what: 'close', at: Date.now() }));
  });
  // The kernel's timeout verdicts on the server's sockets (none from stock's).
  const verdicts: Array<{ op: string; deadline?: number; lateMs?: number; deliveredAfterMs?: number; seen: number }> = [];
  const onTimeout = (m: unknown) => {
    const { op, deadline, lateMs, deliveredAfterMs } = m as (typeof verdicts)[number];
    verdicts.push({ op, deadline, lateMs, deliveredAfterMs, seen: Date.now() });
  };
  subscribe('kernel-timeout-socket:timeout', onTimeout);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  t.port = port;
  try {
    const child = await runChild(
      process.execPath,
      [join(__dirname, 'fixtures', 'http-race-client.js'), String(port), scenario, dir, transport],
      CHILD_MS,
    );
    const childExit = Date.now();
    expect(child.stderr).toBe('');
    expect(t.sentSeen, 'the stall saw the client send').not.toBeNull();
    const r = JSON.parse(child.stdout) as { statuses: number[]; error: string | null; times: Record<string, unknown> };
    const base = t.clockStart ?? Number.NaN;
    // Keep-alive: keepAliveTimeout alone, the earliest any Node's timer can fire.
    const deadline = base + (scenario === 'keepalive' ? KEEP_ALIVE_MS : HEADERS_MS);
    // And the client's kernel no longer held any of them when the stall
    // ended (long past the deadline): the write's callback says they left
    // the client's process, not that they reached the server's kernel.
    const inTime =
      t.sent !== null && t.sent <= deadline - MARGIN_MS && (t.stallEnd ?? 0) >= deadline && (t.queues?.client?.tx ?? 0) === 0;
    const rel = (v: unknown): unknown => (typeof v === 'number' ? Math.round(v - base) : Array.isArray(v) ? v.map(rel) : v);
    const times = {
      server: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, k === 'port' ? v : rel(v)])),
      deadline: rel(deadline),
      client: Object.fromEntries(Object.entries(r.times).map(([k, v]) => [k, rel(v)])),
      kernelTimeouts: verdicts.map((v) => ({ ...v, deadline: rel(v.deadline), seen: rel(v.seen) })),
      connection: events.map((e) => ({ ...e, at: rel(e.at) })),
      childExit: rel(childExit),
    };
    const report =
      `${JSON.stringify({ statuses: r.statuses, error: r.error })}, bytes ${inTime ? 'in time' : 'NOT in time'}; ` +
      `ms from the clock's start (epoch ${base}): ${JSON.stringify(times)}`;
    return { statuses: r.statuses, error: r.error, inTime, report };
  } finally {
    unsubscribe('kernel-timeout-socket:timeout', onTimeout);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
