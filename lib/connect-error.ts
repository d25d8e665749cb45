// Connect errors in net's shape (lib/internal/errors.js exceptionWithHostPort
// and NodeAggregateError): `connect ECONNREFUSED 127.0.0.1:PORT` with
// `address` and `port` on the error; every address failing under
// autoSelectFamily gives an AggregateError whose `code` is the first error's.
import { constants } from 'node:os';
import { KernelSocketError, SocketError, TimeoutError } from './errors.js';

/** Adds net's `address`/`port` and message to a failed attempt's error (not to a timeout of the whole connect). */
export function withHostPort(err: unknown, address: string, port: number, syscall = 'connect'): unknown {
  if (!(err instanceof KernelSocketError) || err instanceof TimeoutError) return err;
  const message = port ? `${syscall} ${err.code} ${address}:${port}` : `${syscall} ${err.code} ${address}`;
  if (err.stack?.startsWith(`${err.name}: ${err.message}`)) {
    err.stack = `${err.name}: ${message}${err.stack.slice(err.name.length + 2 + err.message.length)}`;
  }
  err.message = message;
  Object.assign(err, port ? { address, port } : { address });
  return err;
}

/** What net records for an attempt its autoSelectFamilyAttemptTimeout ended: `connect ETIMEDOUT address:port`. */
export function attemptTimedOut(address: string, port: number): SocketError {
  const err = new SocketError(`connect ETIMEDOUT ${address}:${port}`, {
    code: 'ETIMEDOUT',
    errno: -constants.errno.ETIMEDOUT,
    syscall: 'connect',
  });
  return Object.assign(err, { address, port });
}

/** net's outcome when every address failed: the errors, with the first one's code. */
export function allAttemptsFailed(errors: unknown[]): Error {
  if (errors.length === 0) {
    return Object.assign(new Error('Socket connection timeout'), { code: 'ERR_SOCKET_CONNECTION_TIMEOUT' });
  }
  const first = errors[0] as { code?: unknown };
  return Object.assign(new AggregateError(errors), { code: first?.code });
}
