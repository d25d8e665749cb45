// undici (fetch and request) with an Agent whose `connect` hands it kernel
// sockets, against a real http.createServer on loopback: requests reuse the
// pooled connection, an idle connection outlives the reply timeout, a
// stalled handler fails the request with the kernel's ReadTimeoutError (as
// fetch's `cause`), undici recovers, and a script with an idle pooled
// connection exits on its own.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch, request, type buildConnector } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, ReadTimeoutError, type KernelSocketStream } from '../dist/index.js';
import { expectExitedOnItsOwn, runClientScript } from './client-child.js';
import { ENGINES, type EngineName } from './helpers.js';

const REPLY_MS = 300;
let server: http.Server;
let base = '';
let connections = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/stall') return;
    res.end(`undici ${req.method} ${req.url}`);
  });
  server.keepAliveTimeout = 60_000; // longer than the child's kill timer (see the last test)
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** undici's connect option: a kernel socket, handed over once connected. */
function kernelConnect(made: KernelSocketStream[]): buildConnector.connector {
  return (opts, callback) => {
    const s = createConnection({ host: opts.hostname, port: Number(opts.port) || 80, replyTimeout: REPLY_MS, engine: current });
    made.push(s);
    const failed = (err: Error) => callback(err, null);
    s.once('error', failed);
    s.once('connect', () => {
      s.off('error', failed);
      callback(null, s as never);
    });
  };
}

// The engine of the describe block running now (set in its beforeAll).
let current: EngineName = 'threads';

describe.each(ENGINES)('undici over kernel sockets (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });

  it('fetch and request reuse one connection, survive idle, fail a stall with ReadTimeoutError, then recover', async () => {
    const made: KernelSocketStream[] = [];
    const dispatcher = new Agent({ connect: kernelConnect(made), connections: 1 });
    const before = connections;
    expect(await (await fetch(`${base}/a`, { dispatcher })).text()).toBe('undici GET /a');
    const r = await request(`${base}/b`, { dispatcher, method: 'POST', body: 'x' });
    expect(await r.body.text()).toBe('undici POST /b');
    expect(made).toHaveLength(1);
    expect(connections - before).toBe(1);

    await new Promise((res) => setTimeout(res, REPLY_MS * 3));
    expect(await (await fetch(`${base}/idle`, { dispatcher })).text()).toBe('undici GET /idle');
    expect(made).toHaveLength(1);

    const failed = await fetch(`${base}/stall`, { dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(TypeError); // fetch's own 'fetch failed'
    expect((failed as TypeError).cause).toBeInstanceOf(ReadTimeoutError);
    expect(((failed as TypeError).cause as ReadTimeoutError).timeout).toBe(REPLY_MS);

    const viaRequest = await request(`${base}/stall`, { dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(viaRequest).toBeInstanceOf(ReadTimeoutError);

    expect(await (await fetch(`${base}/again`, { dispatcher })).text()).toBe('undici GET /again');
    expect(made).toHaveLength(3);
    await dispatcher.close();
  });

  it('a script whose Agent holds an idle connection exits on its own', async () => {
    const r = await runClientScript(
      `
const { Agent, fetch } = require('undici');
const dispatcher = new Agent({
  connect: (opts, cb) => {
    const s = kts.createConnection({ host: opts.hostname, port: Number(opts.port), replyTimeout: 5000, engine });
    s.once('error', (e) => cb(e, null));
    s.once('connect', () => cb(null, s));
  },
});
const res = await fetch(args[0] + '/x', { dispatcher });
console.log(await res.text());
`,
      [base, current],
    );
    expectExitedOnItsOwn(r, 'undici GET /x\n');
  });
});
