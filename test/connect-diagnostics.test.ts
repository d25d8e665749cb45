// connect()'s diagnostics_channel events, seen by a subscriber: the start,
// each address tried (with the timeout the kernel was given for it), each
// failure, and the outcome.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { getDefaultAutoSelectFamilyAttemptTimeout, type LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from './helpers.js';
import { connect, listen } from '../dist/index.js';

const NAMES = ['start', 'attempt', 'attemptFailed', 'done', 'error'].map((e) => `kernel-timeout-socket:connect:${e}`);

const bothOrders: LookupFunction = (_host, _o, cb) => {
  setImmediate(() =>
    cb(null, [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ]),
  );
};

describe.each(ENGINES)('connect diagnostics channels (%s engine)', (engine) => {
  const seen: [string, Record<string, unknown>][] = [];
  const handlers = NAMES.map((name) => {
    const fn = (message: unknown) => seen.push([name.split(':').at(-1)!, message as Record<string, unknown>]);
    return [name, fn] as const;
  });
  const on = () => {
    for (const [name, fn] of handlers) subscribe(name, fn);
  };
  afterEach(() => {
    for (const [name, fn] of handlers) unsubscribe(name, fn);
    seen.length = 0;
  });

  it('publish the start, each attempt and failure, and the socket', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = server.address() as { port: number };
    on();
    const socket = await connect({ engine, host: 'both.test', port, lookup: bothOrders, timeout: 5000 });
    expect(seen.map(([event]) => event)).toEqual(['start', 'attempt', 'attemptFailed', 'attempt', 'done']);
    expect(seen[0]![1]).toMatchObject({ options: { host: 'both.test', port } });
    // The first of two addresses gets net's attempt timeout; the last, what is left of the 5 s.
    // net's default attempt timeout: 250 ms up to Node 24, 500 ms from Node 26.
    expect(seen[1]![1]).toEqual({ address: '::1', family: 6, port, timeout: getDefaultAutoSelectFamilyAttemptTimeout() });
    expect(seen[2]![1]).toMatchObject({ address: '::1', family: 6, port, error: { code: 'ECONNREFUSED' } });
    expect(seen[3]![1]).toMatchObject({ address: '127.0.0.1', family: 4, port });
    expect(seen[3]![1].timeout).toBeGreaterThan(4000);
    expect(seen[3]![1].timeout).toBeLessThanOrEqual(5000);
    expect(seen[4]![1]).toEqual({ socket });
    await socket.close();
    await server.close();
  });

  it('publish the error when every address failed', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = server.address() as { port: number };
    await server.close();
    on();
    const err = await connect({ engine, host: '127.0.0.1', port }).catch((e) => e);
    expect(seen.map(([event]) => event)).toEqual(['start', 'attempt', 'attemptFailed', 'error']);
    expect(seen[3]![1]).toEqual({ error: err });
    expect(err).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1', port });
  });
});
