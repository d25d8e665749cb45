// Waiting for a thread's state in the kernel, read from /proc (Linux), so a
// test acts only once a call is really blocked (or a process really
// stopped) instead of hoping a sleep was long enough. Each wait is bounded.
import { readdirSync, readFileSync } from 'node:fs';

/** Syscall numbers of the calls the addon's owned threads block in. */
const SYSCALLS: Record<string, Record<string, number>> = {
  x64: { recvfrom: 45, sendto: 44, accept4: 288, ppoll: 271, poll: 7 },
  arm64: { recvfrom: 207, sendto: 206, accept4: 242, ppoll: 73 },
};

export type BlockingCall = 'recvfrom' | 'sendto' | 'accept4' | 'ppoll';

const tick = () => new Promise((r) => setTimeout(r, 2));

function tasks(pid: number | 'self'): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the thread exited meanwhile
  }
}

/**
 * Resolves once a thread of this process is blocked in `call` (on `fd`
 * when given: its first argument; a blocking recv also has flags 0, so the
 * busy-poll's MSG_DONTWAIT look does not count). Rejects after limitMs.
 */
export async function blockedIn(call: BlockingCall, fd?: number, limitMs = 5000): Promise<void> {
  const nr = SYSCALLS[process.arch]?.[call];
  if (nr === undefined) throw new Error(`no syscall table for ${process.arch}`);
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    for (const tid of tasks('self')) {
      const f = read(`/proc/self/task/${tid}/syscall`).trim().split(' ');
      if (Number(f[0]) !== nr) continue;
      if (fd !== undefined && call !== 'ppoll' && Number(f[1]) !== fd) continue;
      if (call === 'recvfrom' && Number(f[4]) !== 0) continue;
      // In the call and asleep there, not just passing through.
      const stat = read(`/proc/self/task/${tid}/stat`);
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'S') return;
    }
    await tick();
  }
  throw new Error(`no thread blocked in ${call} within ${limitMs} ms`);
}

/** Resolves once every thread of process pid is stopped (state T). Rejects after limitMs. */
export async function stopped(pid: number, limitMs = 5000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const states = tasks(pid).map((tid) => {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      return stat.slice(stat.lastIndexOf(')') + 2)[0];
    });
    if (states.length > 0 && states.every((s) => s === 'T')) return;
    await tick();
  }
  throw new Error(`process ${pid} not stopped within ${limitMs} ms`);
}

/**
 * Resolves once the bytes of the loopback TCP connection whose one end has
 * local port `port` are all read: the sender's send queue is acknowledged
 * (tx_queue 0) and the receiver's queue holds no unread byte (rx_queue 0),
 * per /proc/net/tcp. Rejects after limitMs.
 */
export async function allRead(port: number, limitMs = 5000): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const rows = read('/proc/net/tcp')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > 4 && (f[1]!.endsWith(`:${hex}`) || f[2]!.endsWith(`:${hex}`)));
    // Columns: sl local remote st tx_queue:rx_queue ...
    if (rows.length >= 2 && rows.every((f) => f[4] === '00000000:00000000')) return;
    await tick();
  }
  throw new Error(`bytes on port ${port} not all read within ${limitMs} ms`);
}
