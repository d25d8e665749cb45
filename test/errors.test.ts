// The error classes: Node's system-error shape, and the line between "the
// op's own timeout expired: retry" and "the connection died: reconnect".
import { describe, expect, it } from 'vitest';
import * as kts from '../dist/index.js';
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
    expect(err).toMatchObject({ name: 'ConnectionTimedOutError', code: 'ETIMEDOUT', errno: 110, syscall: 'recv' });
  });

  it('other errnos are SocketError named by code', () => {
    const err = systemError('write', { errno: 32, code: 'EPIPE', syscall: 'send' });
    expect(err).toBeInstanceOf(kts.SocketError);
    expect(err).toMatchObject({ name: 'SocketError', code: 'EPIPE', errno: 32, syscall: 'send' });
    expect(err.message).toBe('write EPIPE (send)');
  });

  it('timeouts carry the timeout in force and, for writes, bytesWritten', () => {
    const err = timeoutError('write', 250, { errno: 11, code: 'EAGAIN', syscall: 'send', bytes: 1234, decidedAt: 5 });
    expect(err).toBeInstanceOf(kts.WriteTimeoutError);
    expect(err).toMatchObject({ timeout: 250, bytesWritten: 1234, errno: 11, decidedAt: 5, code: 'ERR_SOCKET_WRITE_TIMEOUT' });
    expect(err.message).toBe('write timed out after 250 ms (send EAGAIN)');
  });
});
