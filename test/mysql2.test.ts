// mysql2 (connection and pool) with a `stream` factory of kernel sockets,
// against a real MariaDB started here: queries reuse the connection, an idle
// connection outlives the reply timeout, SELECT SLEEP() longer than it
// rejects the query with the kernel's ReadTimeoutError, a new connection or
// the pool carries on, and a script whose pool unrefs its idle connection
// exits on its own.
import mysql from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConnection, ReadTimeoutError } from '../dist/index.js';
import { expectExitedOnItsOwn, runClientScript } from './client-child.js';
import { ENGINES, type EngineName } from './helpers.js';
import { startMariadb, useServer } from './servers.js';

const REPLY_MS = 500;
const srv = useServer('mariadb', 'apt-get install mariadb-server', startMariadb);
const run = srv.run;

function options(): mysql.ConnectionOptions {
  return {
    host: srv.get().host,
    port: srv.get().port,
    user: 'root',
    stream: () =>
      createConnection({ host: srv.get().host, port: srv.get().port, replyTimeout: REPLY_MS, engine: current }) as never,
  };
}

type Queryable = { query: mysql.Connection['query'] };
const threadId = async (c: Queryable) =>
  ((await c.query('SELECT CONNECTION_ID() AS id')) as unknown as [Array<{ id: number }>])[0][0]!.id;

// The engine of the describe block running now (set in its beforeAll).
let current: EngineName = 'threads';

describe.skipIf(!run).each(ENGINES)('mysql2 over kernel sockets (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });

  it('connection: reuse, idle past the reply timeout, SLEEP() fails with ReadTimeoutError, a new connection works', async () => {
    const conn = await mysql.createConnection(options());
    conn.on('error', () => {}); // the fatal error is also emitted here once no query waits
    const id = await threadId(conn);
    expect(await threadId(conn)).toBe(id);
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await threadId(conn)).toBe(id);

    const t0 = performance.now();
    const err = await conn.query(`SELECT SLEEP(${(REPLY_MS * 4) / 1000})`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect((err as ReadTimeoutError).timeout).toBe(REPLY_MS);
    expect((err as { fatal?: boolean }).fatal).toBe(true); // mysql2 marks the connection dead
    expect(performance.now() - t0).toBeGreaterThanOrEqual(REPLY_MS - 5);

    const again = await mysql.createConnection(options());
    expect(await threadId(again)).not.toBe(id);
    await again.end();
    conn.destroy();
  });

  it('pool: reuse, idle past the reply timeout, SLEEP() fails with ReadTimeoutError, the pool recovers', async () => {
    const pool = mysql.createPool({ ...options(), connectionLimit: 1 });
    const id = await threadId(pool);
    expect(await threadId(pool)).toBe(id);
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await threadId(pool)).toBe(id);
    await expect(pool.query(`SELECT SLEEP(${(REPLY_MS * 4) / 1000})`)).rejects.toBeInstanceOf(ReadTimeoutError);
    expect(await threadId(pool)).not.toBe(id); // the broken connection was replaced
    await pool.end();
  });

  it('a script whose pool unrefs its idle connection exits on its own', async () => {
    const r = await runClientScript(
      `
const mysql = require('mysql2');
const pool = mysql.createPool({
  host: args[0], port: Number(args[1]), user: 'root',
  stream: () => kts.createConnection({ host: args[0], port: Number(args[1]), replyTimeout: 5000, engine }),
});
// As with net.Socket: an idle pooled connection must not hold the process.
pool.on('acquire', (c) => c.stream.ref());
pool.on('release', (c) => c.stream.unref());
const [rows] = await pool.promise().query('SELECT 1 AS one');
console.log('one', rows[0].one);
`,
      [srv.get().host, String(srv.get().port), current],
    );
    expectExitedOnItsOwn(r, 'one 1\n');
  });
});
