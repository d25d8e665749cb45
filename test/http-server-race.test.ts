// The two races of an HTTP server's timeouts (test/http-race.ts), with stock
// http in the same file as the control. Stock http's JS timers run before
// the poll after the stall and lose the bytes that arrived in time;
// createServer()'s deadlines are the kernel's and serve them.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createServer } from '../dist/index.js';
import { race, type Serve } from './http-race.js';

const stock: Serve = (options, listener) => http.createServer(options, listener);
const kernel =
  (engine: 'threads' | 'loop'): Serve =>
  (options, listener) =>
    createServer({ ...options, engine }, listener);

describe('keep-alive: the next request reached the kernel before the idle deadline, the server stalled', () => {
  it('stock http resets it (the control)', async () => {
    const r = await race(stock, 'keepalive');
    expect(r.statuses, r.report).toEqual([200]);
  });

  it.each(['threads', 'loop'] as const)('createServer (%s engine) serves it', async (engine) => {
    const r = await race(kernel(engine), 'keepalive');
    expect({ statuses: r.statuses, error: r.error }, r.report).toEqual({ statuses: [200, 200], error: null });
  });
});

describe('headersTimeout: the headers completed in time, the server stalled', () => {
  it('stock http answers 408 (the control)', async () => {
    const r = await race(stock, 'headers');
    expect(r.statuses, r.report).not.toContain(200);
  });

  it.each(['threads', 'loop'] as const)('createServer (%s engine) serves it', async (engine) => {
    const r = await race(kernel(engine), 'headers');
    expect({ statuses: r.statuses, error: r.error }, r.report).toEqual({ statuses: [200], error: null });
  });
});
