// ioredis with a custom Connector that hands it kernel sockets, against a
// real redis-server started here: commands reuse the connection, an idle
// connection outlives the reply timeout, a blocking BLPOP longer than it
// fails with the kernel's ReadTimeoutError on the client's 'error' event
// (and the command is rejected by ioredis), ioredis reconnects and carries
// on, and a script with an idle unref'd connection exits on its own.
import { AbstractConnector, Redis, type RedisOptions } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConnection, ReadTimeoutError } from '../dist/index.js';
import { expectExitedOnItsOwn, runClientScript } from './client-child.js';
import { ENGINES, type EngineName } from './helpers.js';
import { startRedis, useServer } from './servers.js';

const REPLY_MS = 400;
const srv = useServer('redis', 'apt-get install redis-server', startRedis);
const run = srv.run;

/** ioredis's Connector: connects a kernel socket (ioredis waits for 'connect'). */
class KernelConnector extends AbstractConnector {
  constructor(private readonly options: RedisOptions) {
    super(options.disconnectTimeout ?? 2000);
  }

  connect(): Promise<never> {
    this.connecting = true;
    const { host, port } = this.options;
    const s = createConnection({ host: host!, port: port!, replyTimeout: REPLY_MS, engine: current });
    this.stream = s as never;
    return Promise.resolve(s as never);
  }
}

// The engine of the describe block running now (set in its beforeAll).
let current: EngineName = 'threads';

describe.skipIf(!run).each(ENGINES)('ioredis over kernel sockets (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });

  it('reuse, idle past the reply timeout, BLPOP stall -> ReadTimeoutError, reconnect and carry on', async () => {
    const redis = new Redis({
      host: srv.get().host,
      port: srv.get().port,
      Connector: KernelConnector as never,
      maxRetriesPerRequest: 0, // fail the stalled command at once instead of retrying it
      autoResendUnfulfilledCommands: false,
    });
    const errors: Error[] = [];
    redis.on('error', (e: Error) => errors.push(e));
    await redis.set('k', 'v');
    const id = await redis.client('ID');
    expect(await redis.get('k')).toBe('v');
    expect(await redis.client('ID')).toBe(id);
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await redis.get('k')).toBe('v');
    expect(await redis.client('ID')).toBe(id);

    const t0 = performance.now();
    const failed = await redis.blpop('empty-list', 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((failed as Error).name).toBe('MaxRetriesPerRequestError'); // ioredis's own rejection of the command
    expect(errors[0]).toBeInstanceOf(ReadTimeoutError); // the cause, on the client's 'error' event
    expect((errors[0] as ReadTimeoutError).timeout).toBe(REPLY_MS);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(REPLY_MS - 5);

    // ioredis reconnects by itself; commands work on the new connection.
    expect(await redis.get('k')).toBe('v');
    expect(await redis.client('ID')).not.toBe(id);
    await redis.quit();
  });

  it("a script whose idle connection is unref'd exits on its own", async () => {
    const r = await runClientScript(
      `
const { default: Redis, AbstractConnector } = require('ioredis');
class KernelConnector extends AbstractConnector {
  constructor(o) { super(2000); this.o = o; }
  connect() { this.connecting = true; this.stream = kts.createConnection({ host: this.o.host, port: this.o.port, replyTimeout: 5000, engine }); return Promise.resolve(this.stream); }
}
const redis = new Redis({ host: args[0], port: Number(args[1]), Connector: KernelConnector });
console.log(await redis.ping());
redis.stream.unref(); // idle from here, as with a net.Socket
`,
      [srv.get().host, String(srv.get().port), current],
    );
    expectExitedOnItsOwn(r, 'PONG\n');
  });
});
