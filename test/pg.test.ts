// pg (Client and Pool) over kernel sockets, against a real PostgreSQL 15
// started here in a temp dir: queries reuse the connection, an idle
// connection outlives the reply timeout, a server-side stall (pg_sleep)
// rejects the query with the kernel's ReadTimeoutError, the client or pool
// carries on, and a script whose pool holds an idle client exits on its own.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelSocketStream, ReadTimeoutError } from '../dist/index.js';
import { expectExitedOnItsOwn, runClientScript } from './client-child.js';
import { ENGINES, type EngineName } from './helpers.js';
import { startPostgres, useServer } from './servers.js';

const REPLY_MS = 500;
const srv = useServer('postgres', 'apt-get install postgresql', startPostgres);
const run = srv.run;

function config(): pg.ClientConfig {
  return {
    host: srv.get().host,
    port: srv.get().port,
    user: 'postgres',
    database: 'postgres',
    // pg calls stream.connect(port, host) itself, as on a net.Socket.
    stream: () => new KernelSocketStream({ replyTimeout: REPLY_MS, engine: current }),
  };
}

const pid = async (q: { query: pg.Client['query'] }) =>
  (await (q as pg.Client).query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

// The engine of the describe block running now (set in its beforeAll).
let current: EngineName = 'threads';

describe.skipIf(!run).each(ENGINES)('pg over kernel sockets (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });

  it('Client: reuse, idle past the reply timeout, pg_sleep fails with ReadTimeoutError, a new client works', async () => {
    const client = new pg.Client(config());
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    const first = await pid(client);
    expect(await pid(client)).toBe(first);
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await pid(client)).toBe(first);

    const t0 = performance.now();
    const err = await client.query(`select pg_sleep(${(REPLY_MS * 4) / 1000})`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect((err as ReadTimeoutError).timeout).toBe(REPLY_MS);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(REPLY_MS - 5);
    // The broken client says so; a new one works.
    await expect(client.query('select 1')).rejects.toThrow();
    const again = new pg.Client(config());
    await again.connect();
    expect((await again.query('select 41 + 1 as n')).rows[0].n).toBe(42);
    await again.end();
    await client.end().catch(() => {});
  });

  it('Pool: reuse, idle past the reply timeout, pg_sleep fails with ReadTimeoutError, the pool recovers', async () => {
    const pool = new pg.Pool({ ...config(), max: 1 });
    pool.on('error', () => {}); // idle-client errors; none expected here
    const first = await pid(pool as never);
    expect(await pid(pool as never)).toBe(first);
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await pid(pool as never)).toBe(first);
    await expect(pool.query(`select pg_sleep(${(REPLY_MS * 4) / 1000})`)).rejects.toBeInstanceOf(ReadTimeoutError);
    const next = await pid(pool as never);
    expect(next).not.toBe(first); // a new connection replaced the broken one
    await pool.end();
  });

  it('Client over the Unix socket path (pg calls stream.connect(path))', async () => {
    const client = new pg.Client({ ...config(), host: srv.get().dir });
    await client.connect();
    expect((await client.query('select 2 * 21 as n')).rows[0].n).toBe(42);
    expect((client as unknown as { connection: { stream: KernelSocketStream } }).connection.stream.remoteAddress).toBeUndefined();
    await client.end();
  });

  it('a script whose Pool holds an idle client exits on its own (allowExitOnIdle)', async () => {
    const r = await runClientScript(
      `
const pg = require('pg');
const pool = new pg.Pool({
  host: args[0], port: Number(args[1]), user: 'postgres', database: 'postgres',
  allowExitOnIdle: true, idleTimeoutMillis: 60000,
  stream: () => new kts.KernelSocketStream({ replyTimeout: 5000, engine }),
});
const { rows } = await pool.query('select 1 as one');
console.log('one', rows[0].one, 'idle', pool.idleCount);
`,
      [srv.get().host, String(srv.get().port), current],
    );
    expectExitedOnItsOwn(r, 'one 1 idle 1\n');
  });
});
