// TCP options set through connect(), listen() and the socket's setters are
// what the kernel reads back (getsockopt), and the capability object says
// what this platform offers.
import { beforeAll, afterEach, describe, expect, it } from 'vitest';
import { capabilities, connect, listen, SocketError } from '../dist/index.js';
import { ENGINES, pair, server, type EngineName } from './helpers.js';

// The engine of the describe block running now (set in its beforeAll), for
// the helpers above the blocks.
let current: EngineName = 'threads';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function openPair(transport: 'tcp4' | 'tcp6' | 'unix', options: Record<string, unknown> = {}) {
  const p = await pair(transport, options, current);
  cleanups.push(p.close);
  return p;
}

describe.each(ENGINES)('capabilities (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });
  it('names the options this platform sets', () => {
    expect(Object.isFrozen(capabilities)).toBe(true);
    expect(capabilities.linger).toBe(true);
    expect(['ppoll', 'poll']).toContain(capabilities.pollTimer);
    if (process.platform === 'linux') {
      expect(capabilities).toMatchObject({
        userTimeout: 'TCP_USER_TIMEOUT',
        userTimeoutUnitMs: 1,
        keepAliveIdle: 'TCP_KEEPIDLE',
        keepAliveInterval: true,
        keepAliveCount: true,
        info: 'TCP_INFO',
      });
    }
    if (process.platform === 'darwin') {
      expect(capabilities).toMatchObject({ userTimeout: 'TCP_RXT_CONNDROPTIME', userTimeoutUnitMs: 1000 });
      expect(capabilities.info).toBe('TCP_CONNECTION_INFO');
    }
  });
});

describe.each(ENGINES)('TCP options (%s engine)', (engine) => {
  beforeAll(() => {
    current = engine;
  });
  // Whole seconds, so the readback is exact on every platform.
  const userTimeout = 3000;

  it.each(['tcp4', 'tcp6'] as const)('%s: connect() options are set on the socket', async (transport) => {
    const { client, peer } = await openPair(transport, {
      userTimeout,
      keepAlive: { idle: 7000, interval: 2500, count: 4 },
      linger: 0,
    });
    expect(client.tcpOptions()).toEqual({
      userTimeout,
      keepAlive: { enabled: true, idle: 7000, interval: 3000, count: 4 }, // 2500 ms rounds up to 3 s
      linger: 0,
      noDelay: false,
    });
    // The accepting side was not asked for anything.
    expect(peer.tcpOptions().keepAlive.enabled).toBe(false);
    expect(peer.tcpOptions().userTimeout).toBe(0);
  });

  it('setters change them and read back', async () => {
    const { client } = await openPair('tcp4');
    const before = client.tcpOptions();
    expect(before.keepAlive.enabled).toBe(false);
    expect(before.linger).toBeNull();
    client.setUserTimeout(userTimeout);
    client.setKeepAlive({ idle: 60_000 });
    client.setLinger(0);
    const after = client.tcpOptions();
    expect(after.userTimeout).toBe(userTimeout);
    expect(after.keepAlive).toMatchObject({ enabled: true, idle: 60_000 });
    expect(after.linger).toBe(0);
    client.setKeepAlive(false);
    client.setUserTimeout(0);
    expect(client.tcpOptions()).toMatchObject({ userTimeout: 0, keepAlive: { enabled: false } });
    client.setKeepAlive(true);
    expect(client.tcpOptions().keepAlive.enabled).toBe(true);
  });

  it.each(['tcp4', 'tcp6'] as const)('%s: setNoDelay sets TCP_NODELAY as the kernel reads it back', async (transport) => {
    const { client } = await openPair(transport, { noDelay: true });
    expect(client.tcpOptions().noDelay).toBe(true);
    client.setNoDelay(false);
    expect(client.tcpOptions().noDelay).toBe(false);
    client.setNoDelay();
    expect(client.tcpOptions().noDelay).toBe(true);
    expect(() => client.setNoDelay('yes' as unknown as boolean)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('listen() options apply to every accepted socket', async () => {
    const s = await server('tcp4', { engine, userTimeout, keepAlive: { idle: 5000 }, linger: 0, timer: 'poll' });
    cleanups.push(s.cleanup);
    const accepted = s.server.accept({ timeout: 5000 });
    const c = await connect({ engine, ...s.connectOptions, timeout: 5000 });
    const a = await accepted;
    cleanups.push(async () => {
      await Promise.all([c.close(), a.close()]);
    });
    expect(a.tcpOptions()).toMatchObject({ userTimeout, keepAlive: { enabled: true, idle: 5000 }, linger: 0 });
    expect(a.timer).toBe('poll');
  });

  it('validates with Node-style codes', async () => {
    const { client } = await openPair('tcp4');
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => client.setUserTimeout(-1)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => client.setUserTimeout('1' as unknown as number)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => client.setKeepAlive('yes' as unknown as boolean)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => client.setKeepAlive({ idle: 0 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => client.setKeepAlive({ count: 1.5 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => connect({ engine, host: '127.0.0.1', port: 1, keepAlive: { interval: -5 } })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => connect({ engine, path: '/tmp/x.sock', userTimeout: 1000 })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => listen({ engine, path: '/tmp/x.sock', keepAlive: true })).toThrow(code('ERR_INVALID_ARG_VALUE'));
  });

  it('a Unix-domain socket refuses TCP options with SocketError', async () => {
    const { client } = await openPair('unix');
    expect(() => client.setUserTimeout(1000)).toThrow(SocketError);
    expect(() => client.info()).toThrow(SocketError);
  });

  it('a closed socket throws SocketClosedError', async () => {
    const { client } = await openPair('tcp4');
    await client.close();
    expect(() => client.setUserTimeout(1000)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => client.tcpOptions()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});
