// Shared test plumbing: connected pairs over loopback and Unix paths, temp
// paths, fd counting. Real sockets only.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, listen, type KernelServer, type KernelSocket } from '../dist/index.js';

export type Transport = 'tcp4' | 'tcp6' | 'unix';

export const TRANSPORTS: Transport[] = ['tcp4', 'tcp6', 'unix'];

export type EngineName = 'threads' | 'loop';

/** Both engines: the behaviour suite runs against each (describe.each). */
export const ENGINES: EngineName[] = ['threads', 'loop'];

/** Every transport with every engine, for describe.each('... %s, %s engine'). */
export const CASES: [Transport, EngineName][] = TRANSPORTS.flatMap((t) => ENGINES.map((e): [Transport, EngineName] => [t, e]));

/**
 * The bound on one whole-addon compile (node-gyp rebuild) that a test runs:
 * in `npm test` several such builds run beside each other and the rest of
 * the suite, and on a loaded 2-vCPU machine the portable build alone took
 * 165-170 s, past the 170 s it had. A bound against a hang, not a target.
 */
export const BUILD_MS = 400_000;

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kts-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let pathCounter = 0;

export async function server(
  transport: Transport,
  options: Record<string, unknown> = {},
): Promise<{
  server: KernelServer;
  connectOptions: Record<string, unknown>;
  cleanup: () => Promise<void>;
}> {
  if (transport === 'unix') {
    const t = tempDir();
    const path = join(t.dir, `s${pathCounter++}.sock`);
    const s = await listen({ path, ...options });
    return {
      server: s,
      connectOptions: { path },
      cleanup: async () => {
        await s.close();
        t.cleanup();
      },
    };
  }
  const host = transport === 'tcp4' ? '127.0.0.1' : '::1';
  const s = await listen({ host, port: 0, ...options });
  const { port } = s.address() as { port: number };
  return { server: s, connectOptions: { host, port }, cleanup: () => s.close() };
}

/** A connected pair: `client` from connect(), `peer` from accept(). */
export async function pair(
  transport: Transport = 'tcp4',
  options: Record<string, unknown> = {},
  engine: EngineName = 'threads',
): Promise<{ client: KernelSocket; peer: KernelSocket; server: KernelServer; close: () => Promise<void> }> {
  const s = await server(transport, { engine });
  const accepted = s.server.accept({ timeout: 5000 });
  const client = await connect({ ...s.connectOptions, timeout: 5000, engine, ...options });
  const peer = await accepted;
  if (client.engine !== engine || peer.engine !== engine) {
    throw new Error(`pair(): asked for engine ${engine}, got ${client.engine} / ${peer.engine}`);
  }
  return {
    client,
    peer,
    server: s.server,
    close: async () => {
      await Promise.all([client.close(), peer.close()]);
      await s.cleanup();
    },
  };
}

/**
 * Whether /proc is there to read (Linux). Tests that read it, here or in a
 * child, skip elsewhere: `it.skipIf(!HAS_PROC)` with PROC_ONLY in the name,
 * and the reason is printed once.
 */
export const HAS_PROC = process.platform === 'linux';
export const PROC_ONLY = '(reads /proc: Linux only)';
if (!HAS_PROC) console.log(`kernel-timeout-socket tests: no /proc on ${process.platform}; tests marked ${PROC_ONLY} are skipped`);

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Deterministic bytes (a seeded LCG), so a transfer can be checked byte-exact. */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Threads the addon owns now (its diagnostics export). */
export function addonThreads(): number {
  return (require('node-gyp-build')(join(__dirname, '..')) as { threads(): number }).threads();
}

/**
 * Fills the accept queue of a TCP listener (made with a small backlog) with
 * connects that are never accepted, until one times out: from then on the
 * kernel drops SYNs to it, so a connect there hangs until its own timeout.
 * Returns the connected sockets, for the caller to close.
 */
export async function fillBacklog(engine: EngineName, host: string, port: number): Promise<KernelSocket[]> {
  const held: KernelSocket[] = [];
  for (let i = 0; i < 16; i++) {
    const r = await connect({ engine, host, port, timeout: 200 }).catch((e: Error) => e);
    if (!(r instanceof Error)) held.push(r);
    else if ((r as { code?: string }).code === 'ERR_SOCKET_CONNECT_TIMEOUT') return held;
    else throw r;
  }
  throw new Error(`the accept queue of ${host}:${port} did not fill in 16 connects`);
}
