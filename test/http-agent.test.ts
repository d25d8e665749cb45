// node:http with a keep-alive Agent whose connections are kernel sockets
// (createConnection returned synchronously, as the Agent wants), against a
// real http.createServer on loopback: requests reuse the pooled connection,
// an idle pooled connection outlives the reply timeout, a stalled handler
// fails the request with ReadTimeoutError and the agent carries on, and a
// script holding an idle pooled connection exits on its own.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, ReadTimeoutError } from '../dist/index.js';
import { expectExitedOnItsOwn, runClientScript } from './client-child.js';
import { ENGINES, type EngineName } from './helpers.js';

const REPLY_MS = 300;

let server: http.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/stall') return; // never answers
    res.end(`hello ${req.url}`);
  });
  server.on('connection', () => connections++);
  // Longer than the child's kill timer: only unref() can let an idle pooled
  // connection's script exit in time, not the Agent's keep-alive expiry.
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** A keep-alive Agent that dials kernel sockets. */
function kernelAgent(made: unknown[]): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  (agent as unknown as { createConnection: (o: { host: string; port: number }) => Socket }).createConnection = (o) => {
    const s = createConnection({ host: o.host, port: o.port, replyTimeout: REPLY_MS, engine: current });
    made.push(s);
    return s as unknown as Socket;
  };
  return agent;
}

function get(agent: http.Agent, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

// The engine of the describe block running now (set in its beforeAll).
let current: EngineName = 'threads';

describe.each(ENGINES)('http.Agent({ keepAlive: true }) over kernel sockets (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });

  it('reuses one connection; idle past the reply timeout it still works; a stall fails with ReadTimeoutError, then it recovers', async () => {
    const made: unknown[] = [];
    const agent = kernelAgent(made);
    const before = connections;
    for (let i = 0; i < 3; i++) expect(await get(agent, `/${i}`)).toBe(`hello /${i}`);
    expect(made).toHaveLength(1);
    expect(connections - before).toBe(1);

    // Idle in the pool for 3 reply timeouts (a free socket is unref'd by
    // the Agent: this timer, not the socket, holds the loop).
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await get(agent, '/after-idle')).toBe('hello /after-idle');
    expect(made).toHaveLength(1);

    const t0 = performance.now();
    const err = await get(agent, '/stall').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect((err as ReadTimeoutError).code).toBe('ERR_SOCKET_READ_TIMEOUT');
    expect((err as ReadTimeoutError).timeout).toBe(REPLY_MS);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(REPLY_MS - 5);

    expect(await get(agent, '/recovered')).toBe('hello /recovered');
    expect(made).toHaveLength(2); // the failed connection was replaced
    agent.destroy();
  });

  it('a script whose Agent holds an idle connection exits on its own', async () => {
    const r = await runClientScript(
      `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
agent.createConnection = (o) => kts.createConnection({ host: o.host, port: o.port, replyTimeout: 5000, engine });
const body = await new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port: Number(args[0]), path: '/x', agent }, (res) => {
    let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b));
  }).on('error', reject);
});
await new Promise((r) => setImmediate(r));
console.log(body, 'free sockets', Object.values(agent.freeSockets).flat().length);
`,
      [String(port), current],
    );
    expectExitedOnItsOwn(r, 'hello /x free sockets 1\n');
  });
});
