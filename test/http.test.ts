// The duplex as an HTTP client connection: http.request({ createConnection })
// against a real http.createServer on loopback, so an ordinary request gets
// kernel-enforced read timeouts.
import { once } from 'node:events';
import http from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { beforeAll, afterEach, describe, expect, it } from 'vitest';
import { connect, ReadTimeoutError, type KernelSocket } from '../dist/index.js';
import { ENGINES, pattern, tempDir, type EngineName } from './helpers.js';

// The engine of the describe block running now (set in its beforeAll), for
// the helpers above the blocks.
let current: EngineName = 'threads';

/** An http createConnection that dials with connect() and hands back the duplex. */
function kernelConnection(timeouts: { readTimeout?: number; writeTimeout?: number }, made: KernelSocket[] = []) {
  return (opts: { host?: string | null; port?: number | string | null }, cb: (err: Error | null, s?: Duplex) => void) => {
    connect({ engine: current, host: opts.host ?? 'localhost', port: Number(opts.port), timeout: 5000, ...timeouts }).then(
      (sock) => {
        made.push(sock);
        cb(null, sock.toStream());
      },
      cb,
    );
    return undefined;
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(options: http.RequestOptions, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let servers: http.Server[] = [];

async function serve(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  servers.push(s);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return (s.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  servers = [];
});

describe.each(ENGINES)('http.request({ createConnection }) over a kernel socket (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });
  it('GET: status, headers and body arrive; the socket is closed after the response', async () => {
    const port = await serve((req, res) => {
      res.setHeader('x-path', req.url!);
      res.end('hello over a kernel socket');
    });
    const made: KernelSocket[] = [];
    const reply = await request({
      host: '127.0.0.1',
      port,
      path: '/greeting',
      createConnection: kernelConnection({ readTimeout: 5000 }, made) as never,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-path']).toBe('/greeting');
    expect(String(reply.body)).toBe('hello over a kernel socket');
    expect(made).toHaveLength(1);
    // No agent: Connection: close, and the stream closes the kernel socket.
    await expect.poll(() => made[0]!.closed, { timeout: 5000 }).toBe(true);
  });

  it('POST 8 MiB up and a chunked 8 MiB response down, byte-exact', async () => {
    const up = pattern(8 * 1024 * 1024, 21);
    const down = pattern(8 * 1024 * 1024, 22);
    const port = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      res.setHeader('x-upload-ok', String(Buffer.concat(chunks).equals(up)));
      for (let at = 0; at < down.length; at += 1 << 20) {
        if (!res.write(down.subarray(at, at + (1 << 20)))) await once(res, 'drain');
      }
      res.end();
    });
    const reply = await request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/upload',
        headers: { 'content-length': up.length },
        createConnection: kernelConnection({ readTimeout: 10_000, writeTimeout: 10_000 }) as never,
      },
      up,
    );
    expect(reply.headers['x-upload-ok']).toBe('true');
    expect(reply.headers['transfer-encoding']).toBe('chunked');
    expect(reply.body.length).toBe(down.length);
    expect(reply.body.equals(down)).toBe(true);
  });

  it('a server that stalls before answering: the request fails with ReadTimeoutError from the kernel', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => (arrived = r));
    const port = await serve(() => {
      arrived(); // and never answer
    });
    const started = performance.now();
    const err = await request({
      host: '127.0.0.1',
      port,
      path: '/stall',
      createConnection: kernelConnection({ readTimeout: 200 }) as never,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    await requestArrived;
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect((err as ReadTimeoutError).code).toBe('ERR_SOCKET_READ_TIMEOUT');
    expect((err as ReadTimeoutError).decidedAt).toBeTypeOf('number');
    // Wide bound: 200 ms plus the kernel's timer slack, well under 5 s.
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(5000);
  });

  it('a server that stalls mid-body: the request reports ReadTimeoutError and the response is aborted', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only half'); // then stall
    });
    const seen = await new Promise<{ reqError: unknown; resError: unknown; body: string }>((resolve) => {
      let reqError: unknown;
      let body = '';
      const req = http.request(
        { host: '127.0.0.1', port, createConnection: kernelConnection({ readTimeout: 200 }) as never },
        (res) => {
          res.on('data', (c: Buffer) => (body += c));
          res.on('error', (resError) => resolve({ reqError, resError, body }));
        },
      );
      req.on('error', (e) => (reqError = e));
      req.end();
    });
    expect(seen.body).toBe('only half');
    // Node's http client: the socket's error goes to the request, and the
    // response ends with its usual 'aborted' ECONNRESET.
    expect(seen.reqError).toBeInstanceOf(ReadTimeoutError);
    expect(seen.resError).toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
  });

  it('over a Unix socket path (http.createServer listening on a path)', async () => {
    const t = tempDir();
    try {
      const path = join(t.dir, 'http.sock');
      const s = http.createServer((req, res) => res.end(`unix ${req.method} ${req.url}`));
      servers.push(s);
      s.listen(path);
      await once(s, 'listening');
      const reply = await request({
        socketPath: path,
        path: '/over-unix',
        createConnection: ((_opts: object, cb: (err: Error | null, d?: Duplex) => void) => {
          connect({ engine, path, timeout: 5000, readTimeout: 5000 }).then((sock) => cb(null, sock.toStream()), cb);
        }) as never,
      });
      expect(String(reply.body)).toBe('unix GET /over-unix');
    } finally {
      t.cleanup();
    }
  });

  it('a non-keep-alive http.Agent with maxSockets: 1 dials once per request', async () => {
    const port = await serve((req, res) => res.end(`ok ${req.url}`));
    const made: KernelSocket[] = [];
    const dial = kernelConnection({ readTimeout: 5000 }, made);
    class KernelAgent extends http.Agent {
      override createConnection(opts: object, cb: (err: Error | null, s?: Duplex) => void): undefined {
        return dial(opts, cb);
      }
    }
    const agent = new KernelAgent({ keepAlive: false, maxSockets: 1 });
    try {
      const replies = await Promise.all(['/a', '/b', '/c'].map((path) => request({ host: '127.0.0.1', port, path, agent })));
      expect(replies.map((r) => String(r.body))).toEqual(['ok /a', 'ok /b', 'ok /c']);
      expect(made).toHaveLength(3);
    } finally {
      agent.destroy();
    }
  });
});
