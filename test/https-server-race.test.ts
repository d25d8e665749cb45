// The two races of an HTTP server's timeouts (test/http-race.ts) over TLS,
// with stock https in the same file as the control. Stock https's TLSSocket
// timer and its 30 s sweep (here every 100 ms) lose the bytes that arrived
// in time; createSecureServer() forwards the TLSSocket's timeouts to the
// kernel stream underneath and serves them.
import https from 'node:https';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSecureServer } from '../dist/index.js';
import { race, type Serve } from './http-race.js';
import { openssl, selfSigned } from './tls-cert.js';

let pair: { key: Buffer; cert: Buffer };
beforeAll(() => {
  if (openssl) pair = selfSigned();
});

const stock: Serve = (options, listener) => https.createServer({ ...pair, ...options }, listener);
const kernel =
  (engine: 'threads' | 'loop'): Serve =>
  (options, listener) =>
    createSecureServer({ ...pair, ...options, engine }, listener);

describe.skipIf(!openssl)('keep-alive over TLS: the next request reached the kernel in time, the server stalled', () => {
  it('stock https resets it (the control)', async () => {
    const r = await race(stock, 'keepalive', 'tls');
    expect(r.statuses, r.report).toEqual([200]);
  });

  it.each(['threads', 'loop'] as const)('createSecureServer (%s engine) serves it', async (engine) => {
    const r = await race(kernel(engine), 'keepalive', 'tls');
    expect({ statuses: r.statuses, error: r.error }, r.report).toEqual({ statuses: [200, 200], error: null });
  });
});

describe.skipIf(!openssl)('headersTimeout over TLS: the headers completed in time, the server stalled', () => {
  it('stock https answers 408 (the control)', async () => {
    const r = await race(stock, 'headers', 'tls');
    expect(r.statuses, r.report).not.toContain(200);
  });

  it.each(['threads', 'loop'] as const)('createSecureServer (%s engine) serves it', async (engine) => {
    const r = await race(kernel(engine), 'headers', 'tls');
    expect({ statuses: r.statuses, error: r.error }, r.report).toEqual({ statuses: [200], error: null });
  });
});
