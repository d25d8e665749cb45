// createSecureServer() behaves as https.createServer(): each case runs
// against stock https too, in the same run, and expects the same outcome.
// Real TLS on loopback and Unix paths with a certificate made at test time;
// no timers decide anything here but the servers' own (each bounded well
// under the test's time).
import { once } from 'node:events';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecureServer, type KernelSocket, type SecureServerOptions } from '../dist/index.js';
import { tempDir } from './helpers.js';
import { openssl, selfSigned } from './tls-cert.js';

type Kind = 'stock' | 'threads' | 'loop';
const KINDS: Kind[] = ['stock', 'threads', 'loop'];
const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

let pair: { key: Buffer; cert: Buffer };
beforeAll(() => {
  if (openssl) pair = selfSigned();
});

const open: https.Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    if (s.listening) await new Promise((resolve) => s.close(resolve));
  }
});

function make(kind: Kind, options: SecureServerOptions, listener?: http.RequestListener): https.Server {
  const withCert = { ...pair, ...options };
  const s =
    kind === 'stock' ? https.createServer(withCert, listener) : createSecureServer({ ...withCert, engine: kind }, listener);
  open.push(s);
  return s;
}

async function started(kind: Kind, options: SecureServerOptions, listener?: http.RequestListener) {
  const server = make(kind, options, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A TLS client connection to the server, once its handshake is done. */
async function secure(port: number): Promise<tls.TLSSocket> {
  const sock = tls.connect({ host: '127.0.0.1', port, ca: pair.cert, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
  sock.setEncoding('latin1');
  // Bounds every wait on this connection.
  sock.setTimeout(15_000, () => sock.destroy(new Error('the server neither answered nor closed')));
  await once(sock, 'secureConnect');
  return sock;
}

/** The next whole response (headers and a Content-Length body) on `sock`. */
function response(sock: tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: string) => {
      text += d;
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
      if (end < 0 || text.length < end + 4 + length) return;
      sock.off('data', onData);
      resolve(text);
    };
    sock.on('data', onData);
    sock.once('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
  });
}

/** Everything `sock` receives until the server closes it, and how long from now that took. */
async function untilClosed(sock: tls.TLSSocket): Promise<{ text: string; ms: number }> {
  const t0 = Date.now();
  let text = '';
  sock.on('data', (d: string) => (text += d));
  await once(sock, 'close');
  return { text, ms: Date.now() - t0 };
}

function request(options: https.RequestOptions, body?: Buffer) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', ca: pair.cert, servername: 'localhost', ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The next 'clientError': its code and the socket's address, read as a server that logs its failing clients does, then destroy(). */
function clientError(server: https.Server): Promise<object> {
  return new Promise((resolve) =>
    server.once('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      resolve({ code: err.code, address: socket.remoteAddress, port: socket.remotePort });
      socket.destroy();
    }),
  );
}

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

describe.skipIf(!openssl).each(KINDS)('%s', (kind) => {
  it("is an https.Server: net's listen signatures, ALPN, 'secureConnection', the TLS socket's addresses", async () => {
    const s = make(kind, {}, (req, res) => {
      const t = req.socket as tls.TLSSocket;
      const { remoteAddress, remotePort, localAddress, localPort, encrypted } = t;
      res.end(JSON.stringify({ remoteAddress, remotePort, localAddress, localPort, encrypted, alpn: t.alpnProtocol }));
    });
    expect(s).toBeInstanceOf(https.Server);
    expect(s.address()).toBe(null);
    const secured: tls.TLSSocket[] = [];
    s.on('secureConnection', (t: tls.TLSSocket) => secured.push(t));
    await new Promise<void>((resolve) => s.listen({ port: 0, host: '127.0.0.1' }, resolve));
    expect(s.listening).toBe(true);
    const address = s.address() as net.AddressInfo;
    expect(address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    const sock = await secure(address.port);
    sock.write(GET);
    const text = await response(sock);
    const seen = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    expect(seen).toEqual({
      remoteAddress: '127.0.0.1',
      remotePort: sock.localPort,
      localAddress: '127.0.0.1',
      localPort: address.port,
      encrypted: true,
      alpn: 'http/1.1',
    });
    expect(secured).toHaveLength(1);
    expect(secured[0]).toBeInstanceOf(tls.TLSSocket);
    expect(secured[0].alpnProtocol).toBe('http/1.1');
    sock.destroy();
    const closed = once(s, 'close');
    s.close();
    await closed;
    expect(s.listening).toBe(false);
  });

  it('listens on a Unix path; address() is the path', async () => {
    const t = tempDir();
    try {
      const path = join(t.dir, 'https.sock');
      const s = make(kind, {}, (req, res) => res.end(`unix ${req.socket.remoteAddress}`));
      await new Promise<void>((resolve) => s.listen(path, resolve));
      expect(s.address()).toBe(path);
      expect((await request({ socketPath: path })).body.toString()).toBe('unix undefined');
      await new Promise((resolve) => s.close(resolve));
    } finally {
      t.cleanup();
    }
  });

  it('keeps the connection alive across requests, one handshake', async () => {
    const { server, port } = await started(kind, {}, (req, res) => res.end(req.url));
    let handshakes = 0;
    server.on('secureConnection', () => handshakes++);
    const sock = await secure(port);
    for (const path of ['/a', '/b', '/c']) {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(await response(sock)).toMatch(new RegExp(`^HTTP/1\\.1 200[\\s\\S]*\\r\\n\\r\\n${path}$`));
    }
    expect(handshakes).toBe(1);
    sock.destroy();
  });

  it('takes and returns a 1 MiB body', async () => {
    const { port } = await started(kind, {}, (req, res) => req.pipe(res));
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const r = await request({ port, method: 'POST', agent: false }, body);
    expect(r.status).toBe(200);
    expect(r.body.equals(body)).toBe(true);
  });

  it('answers 408 to headers that do not complete within headersTimeout', async () => {
    // Stock's sweep every 100 ms, so its 408 is within the same bounds.
    const { port } = await started(kind, { headersTimeout: 500, requestTimeout: 1000, connectionsCheckingInterval: 100 });
    const sock = await secure(port);
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const r = await untilClosed(sock);
    expect(statuses(r.text)).toEqual([408]);
    expect(r.ms).toBeGreaterThanOrEqual(450);
    expect(r.ms).toBeLessThan(3000);
  });

  it('closes a keep-alive connection idle for keepAliveTimeout', async () => {
    const { port } = await started(kind, { keepAliveTimeout: 300 }, (_req, res) => res.end('ok'));
    const sock = await secure(port);
    sock.write(GET);
    await response(sock);
    const r = await untilClosed(sock);
    // keepAliveTimeout plus the buffer some Node versions add (up to 1000 ms).
    expect(r.ms).toBeGreaterThanOrEqual(250);
    expect(r.ms).toBeLessThan(4000);
  });

  it("server.setTimeout(): 'timeout' with the TLS socket once it is idle", async () => {
    const { server, port } = await started(kind, {});
    const secured = once(server, 'secureConnection');
    let timedOut: unknown;
    server.setTimeout(300, (socket: net.Socket) => {
      timedOut = socket;
      socket.destroy();
    });
    const sock = await secure(port);
    const [t] = await secured;
    const r = await untilClosed(sock);
    expect(timedOut).toBe(t);
    expect(r.ms).toBeGreaterThanOrEqual(200);
    expect(r.ms).toBeLessThan(3000);
  });

  it("closeIdleConnections() ends an idle connection; close() then emits 'close'", async () => {
    const { server, port } = await started(kind, { keepAliveTimeout: 20_000 }, (_req, res) => res.end('ok'));
    const sock = await secure(port);
    sock.write(GET);
    await response(sock);
    const ended = untilClosed(sock);
    server.closeIdleConnections();
    expect((await ended).ms).toBeLessThan(3000);
    const closed = once(server, 'close');
    server.close();
    await closed;
  });

  it("a client that never starts the handshake: 'clientError' ERR_TLS_HANDSHAKE_TIMEOUT after handshakeTimeout", async () => {
    const { server, port } = await started(kind, { handshakeTimeout: 400 });
    const raw = net.connect(port, '127.0.0.1');
    await once(raw, 'connect');
    const t0 = Date.now();
    const seen = await clientError(server);
    expect(seen).toEqual({ code: 'ERR_TLS_HANDSHAKE_TIMEOUT', address: '127.0.0.1', port: raw.localPort });
    await once(raw, 'close');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("a client that speaks plain http: 'clientError' ERR_SSL_HTTP_REQUEST with its address", async () => {
    const { server, port } = await started(kind, {});
    const raw = net.connect(port, '127.0.0.1', () => raw.write(GET));
    raw.on('error', () => {});
    const seen = await clientError(server);
    expect(seen).toEqual({ code: 'ERR_SSL_HTTP_REQUEST', address: '127.0.0.1', port: raw.localPort });
    raw.destroy();
  });

  it('rejects a bad handshakeTimeout with a typed error', () => {
    const bad = { ...pair, handshakeTimeout: '1000' as never };
    const create = () => (kind === 'stock' ? https.createServer(bad) : createSecureServer({ ...bad, engine: kind }));
    expect(create).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe.skipIf(!openssl).each(['threads', 'loop'] as const)('createSecureServer (%s engine) only', (engine) => {
  it('rejects bad options with typed errors', () => {
    expect(() => createSecureServer({ ...pair, engine, writeTimeout: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => createSecureServer(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it("the TLS socket's setNoDelay() and setKeepAlive() reach the kernel socket", async () => {
    const { server, port } = await started(engine, {}, (req, res) => {
      req.socket.setNoDelay(false);
      req.socket.setKeepAlive(true, 3000);
      res.end('ok');
    });
    const [conn] = (await Promise.all([
      once(server, 'connection'),
      secure(port).then(async (sock) => {
        sock.write(GET);
        await response(sock);
        sock.destroy();
      }),
    ])) as unknown as [[{ socket: KernelSocket }]];
    const options = conn[0].socket.tcpOptions();
    expect(options.noDelay).toBe(false);
    expect(options.keepAlive).toMatchObject({ enabled: true, idle: 3000 });
  });
});
