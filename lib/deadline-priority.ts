// KTS_DEADLINE_PRIORITY: the opt-in real-time priority of the loop engine's
// deadline thread, configured for the whole env the way UV_THREADPOOL_SIZE
// configures libuv's pool. Off by default: a library takes no real-time
// policy unasked. Read once per env (main thread or Worker), when its first
// loop-engine socket opens; the thread then starts at once under SCHED_FIFO
// (native/deadline_thread.h, StartRealtime). A value that is not a priority,
// or a priority the kernel refuses, costs one process warning and changes
// nothing else: the engine runs exactly as without the variable.
import { inspect } from 'node:util';
import { debug } from './debug.js';
import { nodeErrno } from './errors.js';
import { addon, isResult, type NativeResult } from './native.js';

export const DEADLINE_PRIORITY_VAR = 'KTS_DEADLINE_PRIORITY';
const WARNING = 'KernelTimeoutSocketWarning';
// The range POSIX systems give SCHED_FIFO where the addon reports none
// (it then refuses with ENOTSUP, which is what the warning should say).
const FALLBACK_MAX = 99;

let read = false;

/** Applies KTS_DEADLINE_PRIORITY to this env's deadline thread, the first time a loop-engine socket opens. */
export function applyDeadlinePriority(): void {
  if (read) return;
  read = true;
  const raw = process.env[DEADLINE_PRIORITY_VAR];
  if (raw === undefined || raw === '') return;
  const max = addon.realtimePriorityMax() || FALLBACK_MAX;
  const priority = parsePriority(raw, max);
  if (priority === undefined) {
    warn(
      `${DEADLINE_PRIORITY_VAR}=${inspect(raw)} is not a real-time priority (an integer from 1 to ${max}, or 0 for none); ` +
        'the deadline thread keeps the default scheduling',
      { code: 'ERR_INVALID_ARG_VALUE' },
    );
    return;
  }
  if (priority === 0) return;
  const r = addon.startDeadlineRealtime(priority);
  if (isResult(r)) {
    warn(refusal(priority, r), { code: r.code ?? 'UNKNOWN', errno: nodeErrno(r.errno), syscall: r.syscall });
    return;
  }
  debug('deadline thread: SCHED_FIFO priority %d (%s)', priority, DEADLINE_PRIORITY_VAR);
}

/** The priority in decimal digits only (no sign, space, exponent or fraction), 0..max; undefined otherwise. */
export function parsePriority(raw: string, max: number): number | undefined {
  if (!/^[0-9]{1,3}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= max ? n : undefined;
}

function refusal(priority: number, r: NativeResult): string {
  const why =
    r.code === 'EPERM'
      ? `the kernel refused SCHED_FIFO: it needs CAP_SYS_NICE or RLIMIT_RTPRIO >= ${priority}`
      : r.code === 'ENOTSUP'
        ? 'SCHED_FIFO for this thread is offered on Linux only'
        : 'the thread could not take it';
  return (
    `${DEADLINE_PRIORITY_VAR}=${priority}: ${r.syscall} ${r.code} (${why}); ` +
    'the deadline thread runs with the default scheduling'
  );
}

function warn(message: string, fields: { code: string; errno?: number | undefined; syscall?: string | undefined }): void {
  // An Error as the warning, so it carries code (and errno and syscall, as
  // Node's system errors do) and prints as "[code] KernelTimeoutSocketWarning: ...".
  const warning = Object.assign(new Error(message), fields);
  warning.name = WARNING;
  process.emitWarning(warning);
}
