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
import { afterAll, beforeAll } from 'vitest';

export interface RunningServer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Debian's layout: /usr/lib/postgresql/<major>/bin; the newest installed. */
const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
    : [];
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

interface Launch {
  /** Prepares the data dir (runs initdb and the like) and says how to start. */
  prepare(dir: string, port: number): { cmd: string; args: string[]; ready: RegExp; what: string };
  /** Who owns the temp dir (the server refuses root). */
  owner?: string;
}

/** A temp dir and a free port, a server started in it, and a stop that removes both; cleaned up on failure too. */
async function launch(l: Launch): Promise<RunningServer & { dir: string }> {
  const t = tempDirFor(l.owner);
  try {
    const port = await freePort();
    const { cmd, args, ready, what } = l.prepare(t.dir, port);
    const child = await startUntil(cmd, args, ready, what);
    return {
      host: '127.0.0.1',
      port,
      dir: t.dir,
      stop: async () => {
        await stopChild(child);
        t.cleanup();
      },
    };
  } catch (err) {
    t.cleanup();
    throw err;
  }
}

/** PostgreSQL (15 on Debian 12) with trust auth for user 'postgres', on 127.0.0.1 and a Unix socket in `dir`. */
export function startPostgres(): Promise<RunningServer & { dir: string }> {
  return launch({
    owner: 'postgres',
    prepare: (dir, port) => {
      const data = join(dir, 'data');
      run(...asUser('postgres', `${PG_BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']), 'initdb');
      const [cmd, args] = asUser('postgres', `${PG_BIN}/postgres`, [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ]);
      return { cmd, args, ready: /ready to accept connections/, what: 'postgres' };
    },
  });
}

/** redis-server without persistence on 127.0.0.1. */
export function startRedis(): Promise<RunningServer> {
  return launch({
    prepare: (dir, port) => ({
      cmd: redisServer!,
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      ready: /Ready to accept connections/,
      what: 'redis-server',
    }),
  });
}

/** MariaDB with grant tables off (any user, no password), on 127.0.0.1. */
export function startMariadb(): Promise<RunningServer> {
  return launch({
    prepare: (dir, port) => {
      const data = join(dir, 'data');
      const user = process.getuid?.() === 0 ? ['--user=root'] : [];
      run(
        'mariadb-install-db',
        ['--no-defaults', `--datadir=${data}`, ...user, '--skip-test-db', '--auth-root-authentication-method=normal'],
        'mariadb-install-db',
      );
      return {
        cmd: mariadbd!,
        args: [
          '--no-defaults',
          `--datadir=${data}`,
          `--socket=${join(dir, 'sock')}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          '--skip-grant-tables',
          '--skip-log-bin',
          `--pid-file=${join(dir, 'pid')}`,
          '--innodb-buffer-pool-size=16M',
          ...user,
        ],
        ready: /ready for connections/,
        what: 'mariadbd',
      };
    },
  });
}

/**
 * The server of one test file: started before its tests, stopped after
 * them (also when they fail). `run` is false when it is not installed
 * (see available()).
 */
export function useServer<S extends RunningServer>(
  name: keyof typeof binaries,
  install: string,
  start: () => Promise<S>,
): { run: boolean; get: () => S } {
  const run = available(name, install);
  let server: S | undefined;
  beforeAll(async () => {
    if (run) server = await start();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return { run, get: () => server! };
}
