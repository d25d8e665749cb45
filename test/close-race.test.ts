// close() at random moments against pending reads, writes, accepts and
// connects, on several sockets at once, while new sockets are opened so fd
// numbers get reused. Every connection's peer sends its own byte pattern
// and every write carries the connection's own tag byte, so a byte that
// lands on the wrong socket is caught. Seeded (KTS_SEED replays a run),
// bounded in iterations and in time; what is asserted does not depend on
// timing: every op settles (no hang) with an allowed outcome, reads deliver
// their connection's bytes in order, nothing but closed/abort/timeout
// errors appear (no EBADF), nothing is pending in the addon afterwards,
// and the process's fd count is back to its baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  connect,
  listen,
  SocketClosedError,
  TimeoutError,
  type KernelServer,
  type KernelSocket,
} from '../dist/index.js';
import { fdsOpenedSince, fdTable } from './fd-table.js';
import { ENGINES, HAS_PROC, pair, PROC_ONLY, pattern, server, type Transport, type EngineName } from './helpers.js';

// The engine of the describe block running now (set in its beforeAll), for
// the helpers above the blocks.
let current: EngineName = 'threads';
import { addon, outcome, seeded, within, type Outcome } from './stress-helpers.js';

const MAX_ITERATIONS = 3000;
const TIME_BUDGET_MS = 8_000;
const PARALLEL = 4;
const HANG_MS = 5_000;
const STREAM = 96 * 1024;

type Rand = ReturnType<typeof seeded>;

/** What the ops ended with, to show the races really happened. */
const tally: Record<string, number> = {};
const count = (key: string) => {
  tally[key] = (tally[key] ?? 0) + 1;
};
const kindOf = (s: { ok: boolean; error?: unknown }) =>
  s.ok ? 'ok' : ((s.error as { constructor?: { name?: string } })?.constructor?.name ?? 'other');

const allowed = (e: unknown) => e instanceof SocketClosedError || e instanceof AbortError || e instanceof TimeoutError;

function describeError(e: unknown): string {
  const x = e as { name?: string; code?: string; message?: string };
  return `${x.name}: ${x.code} ${x.message}`;
}

/** addon.pending() once it is 0, or after limitMs; checked once per event-loop turn. */
async function drained(limitMs: number): Promise<number> {
  const end = Date.now() + limitMs;
  while (addon.pending() !== 0 && Date.now() < end) await new Promise((resolve) => setImmediate(resolve));
  return addon.pending();
}

/** A random moment: now, after some microtasks, the next turn, or a few ms. */
function moment(r: Rand): Promise<void> {
  switch (r.int(0, 3)) {
    case 0:
      return Promise.resolve();
    case 1: {
      let p = Promise.resolve();
      for (let i = r.int(1, 20); i > 0; i--) p = p.then(() => undefined);
      return p;
    }
    case 2:
      return new Promise((resolve) => setImmediate(resolve));
    default:
      return new Promise((resolve) => setTimeout(resolve, r.int(0, 4)));
  }
}

/** A pair through a listener of its own (a shared one could hand this accept another worker's connection). */
async function pairOf(transport: Transport): Promise<{ client: KernelSocket; peer: KernelSocket }> {
  const s = await server(transport, { engine: current });
  const accepted = s.server.accept({ timeout: HANG_MS });
  const client = await connect({ engine: current, ...s.connectOptions, timeout: HANG_MS });
  const peer = await accepted;
  await s.cleanup();
  return { client, peer };
}

/** One connection: the peer streams its pattern, the client races ops against close. */
async function connectionRace(r: Rand, id: number, failures: string[]): Promise<void> {
  const { client, peer } = await pairOf(r.next() < 0.5 ? 'tcp4' : 'unix');
  const stream = pattern(STREAM, id);
  const tag = (id % 255) + 1;
  const peerSends = (async () => {
    for (let off = 0; off < STREAM; ) {
      const n = Math.min(STREAM - off, r.int(1, 16384));
      await peer.write(stream.subarray(off, off + n), { timeout: 2000 });
      off += n;
      if (r.next() < 0.5) await moment(r); // so reads are often pending when close comes
    }
  })().catch(() => undefined); // the client closing ends it early
  const peerReceives = (async () => {
    for (;;) {
      const chunk = await peer.read(65536, { timeout: HANG_MS });
      if (chunk === null) return;
      if (chunk.some((b) => b !== tag)) failures.push(`conn ${id}: peer received a foreign byte`);
    }
  })().catch(() => undefined);

  // Each op's outcome is captured as it starts: a rejection is never unhandled.
  const reads: Promise<Outcome<Buffer | null>>[] = [];
  const others: Promise<Outcome<void>>[] = [];
  const controllers: AbortController[] = [];
  for (let k = r.int(1, 8); k > 0; k--) {
    const pick = r.int(0, 9);
    const signal = r.next() < 0.2 ? controllers[controllers.push(new AbortController()) - 1]!.signal : undefined;
    const timeout = r.next() < 0.3 ? r.int(1, 20) : 0;
    const timer = r.next() < 0.5 || current === 'loop' ? 'poll' : 'sockopt'; // both ways of waiting race close ('loop' has only 'poll')
    if (pick < 5) reads.push(outcome(client.read(r.int(1, 8192), { timeout, signal, timer })));
    else if (pick < 7) reads.push(outcome(client.readExactly(r.int(1, 2048), { timeout, signal, timer })));
    else others.push(outcome(client.write(Buffer.alloc(r.int(1, 300_000), tag), { timeout, signal, timer })));
    if (r.next() < 0.3) await moment(r);
  }
  for (const c of controllers) if (r.next() < 0.5) c.abort();
  await moment(r);
  const closing = client.close();
  const afterClose = [outcome(client.read(1)), outcome(client.write(Buffer.from('x')))];

  const [readResults, writeResults, afterResults] = await within(
    Promise.all([Promise.all(reads), Promise.all(others), Promise.all(afterClose)]),
    HANG_MS,
    `ops of conn ${id}`,
  );
  await within(closing, HANG_MS, `close of conn ${id}`);
  for (const s of afterResults) {
    if (s.ok || !(s.error instanceof SocketClosedError))
      failures.push(`conn ${id}: op after close: ${s.ok ? 'resolved' : describeError(s.error)}`);
  }
  // Reads run in call order: the data they delivered is the stream's prefix.
  const got: Buffer[] = [];
  readResults.forEach((s, k) => {
    count(`read ${kindOf(s)}`);
    if (s.ok) {
      if (s.value === null) failures.push(`conn ${id}: read ${k} saw EOF from a live peer`);
      else got.push(s.value);
    } else if (!allowed(s.error)) {
      failures.push(`conn ${id}: read ${k}: ${describeError(s.error)}`);
    }
    // A rejected read delivered nothing: an aborted one's bytes, or a timed
    // out readExactly's partial frame, stay queued for the next read.
  });
  const all = Buffer.concat(got);
  if (!all.equals(stream.subarray(0, all.length))) failures.push(`conn ${id}: read bytes are not the stream's prefix`);
  count(all.length > 0 ? 'conn with bytes read' : 'conn without bytes read');
  for (const s of writeResults) {
    count(`write ${kindOf(s)}`);
    if (!s.ok && !allowed(s.error)) failures.push(`conn ${id}: write: ${describeError(s.error)}`);
  }
  await within(Promise.all([peerSends, peerReceives]), HANG_MS, `peer of conn ${id}`);
  await peer.close();
}

/** A server with pending accepts, closed while clients connect. */
async function acceptRace(r: Rand, failures: string[]): Promise<void> {
  const transport: Transport = r.next() < 0.5 ? 'tcp4' : 'unix';
  const s = await server(transport, { engine: current });
  const accepts = Array.from({ length: r.int(1, 4) }, () =>
    outcome(
      s.server.accept({
        timeout: r.next() < 0.5 ? 0 : r.int(1, 30),
        timer: r.next() < 0.5 || current === 'loop' ? 'poll' : 'sockopt',
      }),
    ),
  );
  const dials = Array.from({ length: r.int(0, 3) }, () =>
    outcome(connect({ engine: current, ...s.connectOptions, timeout: 2000 })),
  );
  await moment(r);
  const closing = s.cleanup();
  const results = await within(Promise.all(accepts), HANG_MS, 'accepts');
  for (const a of results) {
    count(`accept ${kindOf(a)}`);
    if (a.ok) await a.value.close();
    else if (!allowed(a.error)) failures.push(`accept: ${describeError(a.error)}`);
  }
  for (const d of await within(Promise.all(dials), HANG_MS, 'dials')) {
    if (d.ok) await d.value.close();
  }
  await within(closing, HANG_MS, 'server close');
}

/** Connects aborted at random moments, to a server or to a full backlog. */
async function connectRace(
  r: Rand,
  stuck: KernelServer,
  good: Awaited<ReturnType<typeof server>>,
  failures: string[],
): Promise<void> {
  const target = r.next() < 0.5 ? good.connectOptions : { host: '127.0.0.1', port: (stuck.address() as { port: number }).port };
  const ac = new AbortController();
  const timer = r.next() < 0.5 || current === 'loop' ? 'poll' : 'sockopt';
  const p = outcome(
    connect({ engine: current, ...target, timeout: r.next() < 0.5 ? 0 : r.int(1, 30), signal: ac.signal, timer }),
  );
  await moment(r);
  ac.abort();
  const c = await within(p, HANG_MS, 'connect');
  count(`connect ${kindOf(c)}`);
  if (c.ok) await c.value.close();
  else if (!allowed(c.error)) failures.push(`connect: ${describeError(c.error)}`);
}

describe.each(ENGINES)('close racing pending operations (%s engine)', (engine) => {
  let good: Awaited<ReturnType<typeof server>>;
  let stuck: KernelServer;
  let baseline: Map<number, string>;

  beforeAll(async () => {
    current = engine;
    baseline = HAS_PROC ? fdTable() : new Map();
    good = await server('tcp4', { engine });
    // Backlog 0 and never accepted: after the first, connects hang in SYN_SENT.
    stuck = await listen({ engine, host: '127.0.0.1', port: 0, backlog: 0 });
  });

  afterAll(async () => {
    await stuck?.close();
    await good?.cleanup();
  });

  it('settles every op once with its own bytes, leaks nothing', { timeout: 60_000 }, async () => {
    const r = seeded('close-race');
    const failures: string[] = [];
    const started = Date.now();
    let iterations = 0;
    let id = 1;
    const worker = async () => {
      while (iterations < MAX_ITERATIONS && Date.now() - started < TIME_BUDGET_MS && failures.length === 0) {
        iterations++;
        const kind = r.int(0, 9);
        if (kind < 6) await connectionRace(r, id++, failures);
        else if (kind < 8) await acceptRace(r, failures);
        else await connectRace(r, stuck, good, failures);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    console.log(`close-race: ${iterations} iterations in ${Date.now() - started} ms`, tally);
    expect(failures).toEqual([]);
    // The races happened: pending reads and writes were closed under them.
    expect(tally['read SocketClosedError']).toBeGreaterThan(0);
    expect(tally['write SocketClosedError']).toBeGreaterThan(0);
    expect(iterations).toBeGreaterThanOrEqual(50);
    // Every close() above has resolved, and close() waits for its socket's
    // ops; a connect that failed or was aborted rejected only once its
    // socket was closed and its op delivered. Checked after a bounded wait,
    // so a failure says how many ops never came back rather than hanging.
    expect(await drained(5000)).toBe(0);
    // Everything this test opened is closed again (the shared servers stay).
    await stuck.close();
    await good.cleanup();
    if (HAS_PROC) {
      // Which sockets, not how many fds: an fd Node or vitest opened meanwhile
      // is not this test's, and a failure names the socket that stayed open.
      expect(fdsOpenedSince(baseline), 'sockets opened since the baseline, still open').toEqual([]);
      const others = fdsOpenedSince(baseline, { sockets: false });
      if (others.length > 0) console.log('close-race: fds not ours opened meanwhile:', others);
    } else console.log(`close-race: fd count not checked ${PROC_ONLY}`);
  });

  it('close() settles after every op of the socket is delivered, aborted ones too', { timeout: 30_000 }, async () => {
    // An aborted read stays in the kernel until close wakes it; the thread
    // that ran it closes the fd (its last release) and only then reports
    // the op. close() must wait for that report, or pending() still counts
    // the op once close() has resolved.
    const started = Date.now();
    let rounds = 0;
    let early = 0;
    while (rounds < 150 && Date.now() - started < 5000) {
      rounds++;
      const p = await pair('unix', {}, engine);
      const ac = new AbortController();
      const reading = outcome(p.client.read(100, { signal: ac.signal }));
      const writing = outcome(p.client.write(Buffer.alloc(4 << 20), { signal: ac.signal }));
      ac.abort();
      await p.client.close();
      if (addon.pending() !== 0) early++;
      await Promise.all([reading, writing]);
      await p.close();
    }
    expect(rounds).toBeGreaterThanOrEqual(20);
    expect(early).toBe(0);
  });

  it('an aborted in-flight write goes on whole, and the next write follows it', async () => {
    const p = await pair('unix', {}, engine);
    const big = pattern(8 << 20, 31); // more than the socket buffers: it waits in the kernel
    const next = pattern(1000, 32);
    const ac = new AbortController();
    const first = p.client.write(big, { signal: ac.signal });
    expect(addon.pending()).toBeGreaterThan(0);
    ac.abort();
    await expect(first).rejects.toBeInstanceOf(AbortError);
    const second = p.client.write(next, { timeout: 10_000 });
    // The kernel call cannot be taken back, so the write is not cut short at
    // an unknown byte: it finishes, and the next write's bytes come after it.
    const got = await p.peer.readExactly(big.length + next.length, { timeout: 10_000 });
    await second;
    expect(got.equals(Buffer.concat([big, next]))).toBe(true);
    await p.close();
  });

  it.skipIf(!HAS_PROC)(`closes the connection an aborted accept took when the server closes ${PROC_ONLY}`, async () => {
    const baseline = fdTable();
    const s = await listen({ engine, host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    const accepting = s.accept({ signal: ac.signal });
    ac.abort();
    await expect(accepting).rejects.toBeInstanceOf(AbortError);
    // An aborted accept gives its place up at once (threads: its call is
    // woken), so the connection usually stays in the listen queue; on
    // threads the call may still take it first, and it is stashed for the
    // next accept.
    const client = await connect({ engine, host: '127.0.0.1', port: (s.address() as { port: number }).port, timeout: 2000 });
    await s.close();
    // Before the fix the listener kept that fd until garbage collection, so
    // this read waited for its timeout instead of seeing end of stream.
    const ended = await client.read(16, { timeout: 3000 }).then(
      (v) => v,
      (e) => e.code,
    );
    // Stashed: closed with the server (end of stream). Still queued:
    // closing a listener resets what its queue held (as net.Server).
    expect(engine === 'threads' ? [null, 'ECONNRESET'] : ['ECONNRESET']).toContain(ended);
    await client.close();
    expect(fdsOpenedSince(baseline), 'sockets opened since the baseline, still open').toEqual([]);
  });
});
