// The error classes: Node's system-error shape, and the line between "the
// op's own timeout expired: retry" and "the connection died: reconnect".
import { once } from 'node:events';
import * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as kts from '../dist/index.js';
import { ENGINES, pair } from './helpers.js';
// The same module instance the package uses (vitest's import would load a second copy).
const { systemError, timeoutError } = require('../dist/errors.js') as typeof import('../dist/errors.js');

describe('error classes', () => {
  it('every timeout class is a TimeoutError; ConnectionTimedOutError is not', () => {
    for (const C of [kts.ReadTimeoutError, kts.WriteTimeoutError, kts.ConnectTimeoutError, kts.AcceptTimeoutError]) {
      expect(C.prototype).toBeInstanceOf(kts.TimeoutError);
    }
    expect(kts.ConnectionTimedOutError.prototype).not.toBeInstanceOf(kts.TimeoutError);
    for (const C of [
      kts.TimeoutError,
      kts.ConnectionTimedOutError,
      kts.SocketClosedError,
      kts.SocketError,
      kts.EndOfStreamError,
    ]) {
      expect(C.prototype).toBeInstanceOf(kts.KernelSocketError);
      expect(C.prototype).toBeInstanceOf(Error);
    }
  });

  it("the kernel's ETIMEDOUT maps to ConnectionTimedOutError with the system-error shape", () => {
    // Producing a real ETIMEDOUT needs TCP_USER_TIMEOUT and a peer that stops
    // acknowledging (test/user-timeout.test.ts); this pins the mapping.
    const err = systemError('read', { errno: 110, code: 'ETIMEDOUT', syscall: 'recv' });
    expect(err).toBeInstanceOf(kts.ConnectionTimedOutError);
    expect(err).not.toBeInstanceOf(kts.TimeoutError);
    expect(err).toMatchObject({ name: 'ConnectionTimedOutError', code: 'ETIMEDOUT', errno: -110, syscall: 'recv' });
  });

  it('other errnos are SocketError named by code', () => {
    const err = systemError('write', { errno: 32, code: 'EPIPE', syscall: 'send' });
    expect(err).toBeInstanceOf(kts.SocketError);
    expect(err).toMatchObject({ name: 'SocketError', code: 'EPIPE', errno: -32, syscall: 'send' });
    expect(err.message).toBe('write EPIPE (send)');
  });

  it('timeouts carry the timeout in force and, for writes, bytesWritten', () => {
    const err = timeoutError('write', 250, { errno: 11, code: 'EAGAIN', syscall: 'send', bytes: 1234, decidedAt: 5 });
    expect(err).toBeInstanceOf(kts.WriteTimeoutError);
    expect(err).toMatchObject({ timeout: 250, bytesWritten: 1234, errno: -11, decidedAt: 5, code: 'ERR_SOCKET_WRITE_TIMEOUT' });
    expect(err.deadline).toBeUndefined();
    expect(err.message).toBe('write timed out after 250 ms (send EAGAIN)');
  });
});

/** A port on 127.0.0.1 that was free a moment ago and now has no listener. */
async function closedPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe.each(ENGINES)('errno as Node gives it (%s engine)', (engine) => {
  it('a refused connect carries the errno and code net gives for the same failure', async () => {
    const port = await closedPort();
    const sock = net.connect(port, '127.0.0.1');
    const [netErr] = (await once(sock, 'error').catch((e) => [e])) as [NodeJS.ErrnoException];
    const err = await kts.connect({ engine, host: '127.0.0.1', port, timeout: 5000 }).catch((e) => e);
    expect(netErr.code).toBe('ECONNREFUSED');
    expect(err).toMatchObject({ code: netErr.code, errno: netErr.errno, syscall: netErr.syscall });
    expect(err.errno).toBeLessThan(0);
    expect(getSystemErrorName(err.errno)).toBe('ECONNREFUSED');
  });

  it('a kernel timeout names its errno through util.getSystemErrorName', async () => {
    const p = await pair('tcp4', {}, engine);
    const err = await p.peer.read(10, { timeout: 30 }).catch((e) => e);
    expect(err).toBeInstanceOf(kts.ReadTimeoutError);
    expect(getSystemErrorName(err.errno)).toBe(err.message.match(/\((\w+) (E\w+)\)/)?.[2]);
    await p.close();
  });
});

describe.each(ENGINES)('stacks (%s engine)', (engine) => {
  it("an error built at settlement has no stack frames; an argument error keeps the caller's", async () => {
    const p = await pair('tcp4', {}, engine);
    const limit = Error.stackTraceLimit;
    const err = await p.peer.read(10, { timeout: 30 }).catch((e) => e);
    expect(err).toBeInstanceOf(kts.ReadTimeoutError);
    expect(err.stack).toBe(`ReadTimeoutError: ${err.message}`);
    expect(Error.stackTraceLimit).toBe(limit); // restored
    let argErr: Error | undefined;
    try {
      p.peer.read(-1);
    } catch (e) {
      argErr = e as Error;
    }
    expect(argErr).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(argErr!.stack).toContain('errors.test');
    await p.close();
  });
});

describe.each(ENGINES)('an op ended by a socket deadline says so (%s engine)', (engine) => {
  it('a read with no timeout ended by setReadDeadline reports the deadline and the time it had', async () => {
    const p = await pair('tcp4', {}, engine);
    const pending = p.peer.read().catch((e) => e);
    const deadline = Date.now() + 50;
    p.peer.setReadDeadline(deadline);
    const err = await pending;
    expect(err).toBeInstanceOf(kts.ReadTimeoutError);
    expect(err.code).toBe('ERR_SOCKET_READ_TIMEOUT');
    expect(err.deadline).toBe(deadline);
    expect(err.timeout).toBeGreaterThanOrEqual(50);
    expect(err.timeout).toBeLessThan(2000);
    expect(err.message).toMatch(/^read deadline passed \(\d{4}-.+Z, \d+ ms after the call; /);
    expect(err.bytesRead).toBe(0);
    await p.close();
  });

  it('a read called after its deadline passed: deadline set, 0 ms, no syscall', async () => {
    const p = await pair('tcp4', {}, engine);
    const deadline = Date.now() - 1;
    p.peer.setReadDeadline(deadline);
    const err = await p.peer.read().catch((e) => e);
    expect(err).toMatchObject({ deadline, timeout: 0, errno: undefined, decidedAt: undefined });
    expect(err.message).toMatch(/^read deadline passed .*no syscall made\)$/);
    await p.close();
  });

  it("a write's own timeout, earlier than the deadline, is what it reports", async () => {
    const p = await pair('tcp4', {}, engine);
    p.client.setWriteDeadline(Date.now() + 60_000);
    const big = Buffer.alloc(64 << 20);
    const err = await p.client.write(big, { timeout: 50 }).catch((e) => e);
    expect(err).toBeInstanceOf(kts.WriteTimeoutError);
    expect(err).toMatchObject({ timeout: 50, deadline: undefined });
    expect(err.message).toMatch(/^write timed out after 50 ms/);
    await p.close();
  });
});
