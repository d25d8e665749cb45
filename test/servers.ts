// Real database servers for the client tests, each started in a temp dir on
// a loopback port of its own and stopped afterwards: PostgreSQL (initdb +
// postgres, as the 'postgres' user since the server refuses root), redis-server
// and MariaDB (mariadb-install-db + mariadbd). A missing binary skips the
// tests with a visible reason, except under CI, where it fails them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Debian's layout: /usr/lib/postgresql/<major>/bin; the newest installed. */
const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).map(Number) : [];
  return majors.length ? join(root, String(Math.max(...majors)), 'bin') : join(root, 'none', 'bin');
})();

/** The binary's path, or undefined when it is not installed. */
function find(candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.includes('/')) {
      if (existsSync(c)) return c;
    } else {
      const r = spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' });
      if (r.status === 0) return r.stdout.trim();
    }
  }
  return undefined;
}

const mariadbd = find(['mariadbd', '/usr/sbin/mariadbd']);
const redisServer = find(['redis-server']);

/** Whether each server can run here. */
export const binaries = {
  postgres: find([`${PG_BIN}/postgres`]) !== undefined && find([`${PG_BIN}/initdb`]) !== undefined,
  redis: redisServer !== undefined,
  mariadb: mariadbd !== undefined && find(['mariadb-install-db']) !== undefined,
};

/**
 * Whether the tests of a server run: a missing binary skips them with a
 * warning on a developer's machine, and throws under CI (never skipped there).
 */
export function available(name: keyof typeof binaries, install: string): boolean {
  if (binaries[name]) return true;
  const reason = `${name} is not installed (${install}): its client tests are skipped`;
  if (process.env.CI) throw new Error(`CI: ${reason}`);
  console.warn(`SKIPPED: ${reason}`);
  return false;
}

/** A port nobody listens on now: bound and released (servers that cannot take port 0). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function tempDirFor(owner?: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kts-srv-'));
  if (owner && process.getuid?.() === 0) {
    const id = spawnSync('id', ['-u', owner], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', owner], { encoding: 'utf8' });
    chownSync(dir, Number(id.stdout), Number(gid.stdout));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** Spawns a server and resolves once `ready` matches its output (bounded). */
function startUntil(cmd: string, args: string[], ready: RegExp, what: string, ms = 60_000): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} not ready after ${ms} ms:\n${out}`));
    }, ms);
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** PostgreSQL (15 on Debian 12) with trust auth for user 'postgres', on 127.0.0.1. */
export async function startPostgres(): Promise<RunningServer> {
  const t = tempDirFor('postgres');
  const data = join(t.dir, 'data');
  try {
    run(...asUser('postgres', `${PG_BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']), 'initdb');
  } catch (err) {
    t.cleanup();
    throw err;
  }
  const port = await freePort();
  const [cmd, args] = asUser('postgres', `${PG_BIN}/postgres`, [
    '-D', data, '-p', String(port), '-k', t.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off',
  ]);
  const child = await startUntil(cmd, args, /ready to accept connections/, 'postgres').catch((err) => {
    t.cleanup();
    throw err;
  });
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      await stopChild(child);
      t.cleanup();
    },
  };
}

/** redis-server without persistence on 127.0.0.1. */
export async function startRedis(): Promise<RunningServer> {
  const t = tempDirFor();
  const port = await freePort();
  const child = await startUntil(
    redisServer!,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', t.dir],
    /Ready to accept connections/,
    'redis-server',
  ).catch((err) => {
    t.cleanup();
    throw err;
  });
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      await stopChild(child);
      t.cleanup();
    },
  };
}

/** MariaDB with grant tables off (any user, no password), on 127.0.0.1. */
export async function startMariadb(): Promise<RunningServer> {
  const t = tempDirFor();
  const data = join(t.dir, 'data');
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  try {
    run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...user, '--skip-test-db', '--auth-root-authentication-method=normal'], 'mariadb-install-db');
  } catch (err) {
    t.cleanup();
    throw err;
  }
  const port = await freePort();
  const child = await startUntil(
    mariadbd!,
    [
      '--no-defaults', `--datadir=${data}`, `--socket=${join(t.dir, 'sock')}`, `--port=${port}`,
      '--bind-address=127.0.0.1', '--skip-grant-tables', '--skip-log-bin', `--pid-file=${join(t.dir, 'pid')}`,
      '--innodb-buffer-pool-size=16M', ...user,
    ],
    /ready for connections/,
    'mariadbd',
  ).catch((err) => {
    t.cleanup();
    throw err;
  });
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      await stopChild(child);
      t.cleanup();
    },
  };
}
