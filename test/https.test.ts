// https over tls.connect({ socket }): TLS runs in Node over the duplex, the
// bytes underneath still move by kernel-timed calls. Against a real
// https.createServer on loopback with a certificate made at test time by the
// openssl CLI: single requests, and a keep-alive https.Agent whose pooled
// TLS connections sit on kernel sockets.
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createConnection, ReadTimeoutError, type KernelSocketStream } from '../dist/index.js';
import { expectExitedOnItsOwn, runClientScript } from './client-child.js';
import { ENGINES, type EngineName } from './helpers.js';
import { openssl, selfSigned } from './tls-cert.js';

const REPLY_MS = 300;
let server: https.Server;
let port = 0;
let cert: Buffer;

beforeAll(async () => {
  if (!openssl) return;
  const pair = selfSigned();
  cert = pair.cert;
  server = https.createServer(pair, (req, res) => {
    if (req.url !== '/stall') res.end(`secure ${req.url}`);
  });
  // Longer than the child's kill timer: only unref() can let an idle pooled
  // connection's script exit in time, not the Agent's keep-alive expiry.
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

function get(options: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, ...options }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

// The engine of the describe block running now (set in its beforeAll).
let current: EngineName = 'threads';

describe.skipIf(!openssl).each(ENGINES)('https over tls.connect({ socket }) (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });

  it('GET over TLS works, and a stalled TLS server times out with ReadTimeoutError', async () => {
    const secure = (readTimeout: number) => (_opts: object, cb: (err: Error | null, s?: tls.TLSSocket) => void) => {
      connect({ host: '127.0.0.1', port, timeout: 5000, readTimeout }).then(
        (sock) => cb(null, tls.connect({ socket: sock.toStream(), ca: cert, servername: 'localhost' })),
        cb,
      );
      return undefined;
    };
    expect(await get({ path: '/a', createConnection: secure(5000) as never })).toBe('secure /a');
    await expect(get({ path: '/stall', createConnection: secure(200) as never })).rejects.toBeInstanceOf(ReadTimeoutError);
  });

  it('a keep-alive https.Agent: reuse, idle past the reply timeout, a stall fails with ReadTimeoutError, recovery', async () => {
    const made: KernelSocketStream[] = [];
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: cert });
    (agent as unknown as { createConnection: (o: tls.ConnectionOptions) => tls.TLSSocket }).createConnection = (o) => {
      const raw = createConnection({ host: '127.0.0.1', port, replyTimeout: REPLY_MS, engine: current });
      made.push(raw);
      return tls.connect({ ...o, socket: raw, servername: 'localhost' });
    };
    for (let i = 0; i < 3; i++) expect(await get({ path: `/${i}`, agent })).toBe(`secure /${i}`);
    expect(made).toHaveLength(1);
    await new Promise((r) => setTimeout(r, REPLY_MS * 3));
    expect(await get({ path: '/idle', agent })).toBe('secure /idle');
    expect(made).toHaveLength(1);
    const err = await get({ path: '/stall', agent }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect((err as ReadTimeoutError).timeout).toBe(REPLY_MS);
    expect(await get({ path: '/again', agent })).toBe('secure /again');
    expect(made).toHaveLength(2);
    agent.destroy();
  });

  it('a script whose https.Agent holds an idle TLS connection exits on its own', async () => {
    const r = await runClientScript(
      `
const https = require('node:https');
const tls = require('node:tls');
const agent = new https.Agent({ keepAlive: true, ca: args[1] });
agent.createConnection = (o) => {
  const raw = kts.createConnection({ host: '127.0.0.1', port: o.port, replyTimeout: 5000, engine });
  const secure = tls.connect({ ...o, socket: raw, servername: 'localhost' });
  // tls.connect over a stream does not pass ref()/unref() down: do it here.
  secure.ref = function () { raw.ref(); return tls.TLSSocket.prototype.ref.call(this); };
  secure.unref = function () { raw.unref(); return tls.TLSSocket.prototype.unref.call(this); };
  return secure;
};
const body = await new Promise((resolve, reject) => {
  https.get({ host: '127.0.0.1', port: Number(args[0]), path: '/x', agent }, (res) => {
    let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b));
  }).on('error', reject);
});
await new Promise((r) => setImmediate(r));
console.log(body, 'free sockets', Object.values(agent.freeSockets).flat().length);
`,
      [String(port), cert.toString(), current],
    );
    expectExitedOnItsOwn(r, 'secure /x free sockets 1\n');
  });
});
