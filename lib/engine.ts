// Which engine runs a socket's operations, fixed when the socket is created
// (a socket the event loop polls is non-blocking, so one socket cannot be
// served by both).
//
// 'threads' (the default): an op that cannot finish at once runs on a
// thread of its own, blocked in the kernel with the time left
// (SO_RCVTIMEO/SO_SNDTIMEO, or ppoll with timer 'poll').
// 'loop': an op waits for readiness on the event loop (libuv uv_poll_t) and
// finishes there with no thread hop; one native deadline thread per
// env/Worker decides every op still waiting at its deadline with one
// non-blocking call, so the kernel still gives the verdict. A write larger
// than the send buffer's free room and a readExactly longer than what has
// arrived continue on an owned thread (ppoll), so an event-loop stall does
// not stop them. Its timer is always the deadline thread's high-resolution
// one: `timer` may only be 'poll'.
import { EngineCode } from './native.js';
import { invalidArgValue } from './validate.js';

export type Engine = 'threads' | 'loop';

export const DEFAULT_ENGINE: Engine = 'threads';

/** An engine name; undefined gives the default. */
export function validateEngine(value: unknown, name: string): Engine {
  if (value === undefined) return DEFAULT_ENGINE;
  if (value !== 'threads' && value !== 'loop') throw invalidArgValue(name, value, "must be 'threads' or 'loop'");
  return value;
}

export function engineCode(engine: Engine): EngineCode {
  return engine === 'loop' ? EngineCode.Loop : EngineCode.Threads;
}
