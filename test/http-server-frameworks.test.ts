// Express, Fastify and Koa on createServer(), both engines: each with its
// one-line wiring from the README, a keep-alive connection serving two
// requests, the client's address as the framework reports it, and close().
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { createServer, KernelHttpServer } from '../dist/index.js';

/** Two GETs on one keep-alive connection: their bodies. */
async function twoGets(port: number): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  try {
    const bodies: string[] = [];
    for (let i = 0; i < 2; i++) {
      bodies.push(
        await new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: '/hello', agent }, (res) => {
              sockets.add(res.socket);
              let body = '';
              res.setEncoding('utf8').on('data', (d: string) => (body += d));
              res.on('end', () => resolve(`${res.statusCode} ${body}`));
            })
            .on('error', reject);
        }),
      );
    }
    expect(sockets.size).toBe(1);
    return bodies;
  } finally {
    agent.destroy();
  }
}

const listening = (server: http.Server) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const closed = (server: http.Server) => new Promise((resolve) => server.close(resolve));

describe.each(['threads', 'loop'] as const)('frameworks on createServer (%s engine)', (engine) => {
  it('Express: createServer(app)', async () => {
    const app = express();
    app.get('/hello', (req, res) => {
      res.send(`express ${req.socket.remoteAddress}`);
    });
    const server = createServer({ engine }, app);
    const port = await listening(server);
    expect(await twoGets(port)).toEqual(['200 express 127.0.0.1', '200 express 127.0.0.1']);
    await closed(server);
  });

  it('Fastify: serverFactory', async () => {
    const app = Fastify({ serverFactory: (handler) => createServer({ engine }, handler) });
    app.get('/hello', async (req) => `fastify ${req.ip}`);
    await app.listen({ port: 0, host: '127.0.0.1' });
    expect(app.server).toBeInstanceOf(KernelHttpServer);
    const { port } = app.server.address() as AddressInfo;
    expect(await twoGets(port)).toEqual(['200 fastify 127.0.0.1', '200 fastify 127.0.0.1']);
    await app.close();
  });

  it('Koa: createServer(app.callback())', async () => {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = `koa ${ctx.ip}`;
    });
    const server = createServer({ engine }, app.callback());
    const port = await listening(server);
    expect(await twoGets(port)).toEqual(['200 koa 127.0.0.1', '200 koa 127.0.0.1']);
    await closed(server);
  });
});
