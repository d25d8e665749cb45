// The package's diagnostics_channel channels, named in the manner of undici's
// ('undici:client:connected'): '<package>:<subject>:<event>'. A channel with no
// subscriber costs one property read (`hasSubscribers`) per event; publish
// only behind that check. docs/API.md lists each channel and its message.
import { channel } from 'node:diagnostics_channel';

const prefix = 'kernel-timeout-socket';

export const channels = {
  /** A connect() call starts: { options }. */
  connectStart: channel(`${prefix}:connect:start`),
  /** One address is tried: { address, port, family, timeout }. */
  connectAttempt: channel(`${prefix}:connect:attempt`),
  /** One address failed (refused, timed out, ...): { address, port, family, error }. */
  connectAttemptFailed: channel(`${prefix}:connect:attemptFailed`),
  /** The connect succeeded: { socket }. */
  connectDone: channel(`${prefix}:connect:done`),
  /** The connect failed as a whole: { error }. */
  connectError: channel(`${prefix}:connect:error`),
  /** An op ended on a timeout verdict: { socket, op, timeout, deadline, decidedAt, lateMs }. */
  timeout: channel(`${prefix}:timeout`),
  /** `for await` over a server met a transient accept error and waits before the next accept: { server, error, delayMs }. */
  acceptRetry: channel(`${prefix}:accept:retry`),
  /** A socket or server was closed: { socket } or { server }. */
  close: channel(`${prefix}:close`),
} as const;
