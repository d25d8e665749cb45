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

/** One end of a loopback TCP connection in /proc/net/tcp. */
export interface TcpEnd {
  /** Its local port is `port` (else its remote one is). */
  local: boolean;
  /** The state, hex as the kernel writes it: '01' is ESTABLISHED. */
  st: string;
  /** Bytes unacknowledged (tx_queue) and unread (rx_queue). */
  tx: number;
  rx: number;
}

/** The ends in /proc/net/tcp whose local or remote port is `port` (none where it cannot be read). */
export function tcpEnds(port: number): TcpEnd[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const ends: TcpEnd[] = [];
  for (const line of read('/proc/net/tcp').split('\n').slice(1)) {
    // Columns: sl local remote st tx_queue:rx_queue ...
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const local = f[1]!.endsWith(hex);
    if (!local && !f[2]!.endsWith(hex)) continue;
    const [tx = '', rx = ''] = f[4]!.split(':');
    ends.push({ local, st: f[3]!, tx: Number.parseInt(tx, 16), rx: Number.parseInt(rx, 16) });
  }
  return ends;
}

/**
 * Resolves once the bytes of the loopback TCP connection whose one end has
 * local port `port` are all read: the sender's send queue is acknowledged
 * (tx_queue 0) and the receiver's queue holds no unread byte (rx_queue 0),
 * per /proc/net/tcp. Rejects after limitMs.
 */
export async function allRead(port: number, limitMs = 5000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const ends = tcpEnds(port);
    if (ends.length >= 2 && ends.every((e) => e.tx === 0 && e.rx === 0)) return;
    await tick();
  }
  throw new Error(`bytes on port ${port} not all read within ${limitMs} ms`);
}
