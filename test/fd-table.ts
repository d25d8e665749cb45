// What the process's fds are, not just how many (Linux /proc): a leak check
// that compares sets can say which fd is extra, and what it is, in its
// failure message. The package opens sockets only (native/ makes no pipe,
// eventfd or timerfd), so a check of the sockets opened since a baseline
// sees every fd the package could leak, and none that Node or vitest opens
// for itself (an inotify, a pipe to a child, an eventfd).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Each open fd's /proc/self/fd link target (`socket:[inode]`, a path, `pipe:[n]`, ...). */
export function fdTable(): Map<number, string> {
  const table = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      table.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // Closed between the listing and the readlink (the listing's own fd, say).
    }
  }
  return table;
}

const TCP_STATES = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
];

/** An IPv4 "0100007F:1F90" of /proc/net/tcp as 127.0.0.1:8080; IPv6 as the kernel writes it. */
function endpoint(hex: string): string {
  const [ip = '', port = '0'] = hex.split(':');
  const p = Number.parseInt(port, 16);
  if (ip.length !== 8) return `[${ip}]:${p}`;
  const n = Number.parseInt(ip, 16);
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}:${p}`;
}

/** socket inode -> "tcp 127.0.0.1:1 -> 127.0.0.1:2 SYN_SENT" or "unix /path", from /proc/net. */
function socketsByInode(): Map<string, string> {
  const byInode = new Map<string, string>();
  for (const proto of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/net/${proto}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const state = TCP_STATES[Number.parseInt(f[3]!, 16)] ?? f[3];
      byInode.set(f[9]!, `${proto} ${endpoint(f[1]!)} -> ${endpoint(f[2]!)} ${state}`);
    }
  }
  for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    byInode.set(f[6]!, `unix ${f[7] ?? '(unnamed)'}`);
  }
  return byInode;
}

/**
 * The fds open now that were not open at `baseline` (or were, on another
 * target), described: "fd 31 socket:[123] tcp 127.0.0.1:40000 -> 127.0.0.1:38211 SYN_SENT".
 * sockets: only socket fds (what the package makes); else every kind.
 */
export function fdsOpenedSince(baseline: Map<number, string>, { sockets = true } = {}): string[] {
  const now = fdTable();
  const added = [...now].filter(([fd, target]) => baseline.get(fd) !== target);
  const wanted = sockets ? added.filter(([, target]) => target.startsWith('socket:')) : added;
  if (wanted.length === 0) return [];
  const described = socketsByInode();
  return wanted.map(([fd, target]) => {
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    // A TCP socket is in /proc/net/tcp only while hashed: not one that a
    // close, shutdown or failed connect left in CLOSE.
    const what =
      inode === undefined ? '' : ` ${described.get(inode) ?? '(in no /proc/net table: TCP in CLOSE, or another family)'}`;
    return `fd ${fd} ${target}${what}`;
  });
}
