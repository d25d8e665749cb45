// Plumbing for the reliability tests: a seeded generator (the seed is
// printed so a failure can be replayed with KTS_SEED), a hang guard, the raw
// addon's counters, and child processes with a kill timer.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(__filename);

/** The raw addon, the same instance dist/ uses: threads() and pending(). */
export const addon = require('node-gyp-build')(join(__dirname, '..')) as { threads(): number; pending(): number };

export const FIXTURES = join(__dirname, 'fixtures', 'reliability');

/** xorshift32 from KTS_SEED or the clock; logs the seed under `name`. */
export function seeded(name: string): { seed: number; next: () => number; int: (lo: number, hi: number) => number } {
  const seed = Number(process.env.KTS_SEED ?? Date.now() % 2 ** 31) >>> 0 || 1;
  console.log(`${name}: seed ${seed} (replay with KTS_SEED=${seed})`);
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** Resolves with p's outcome, or rejects naming `what` if it has not settled within ms. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} not settled within ${ms} ms`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The outcome of p as a value: its result or its error, never a rejection. */
export function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  killedByTimer: boolean;
}

/**
 * Runs `node fixture args` (or a shell command line when `shell` is given)
 * with a kill timer: after killMs it gets SIGKILL and killedByTimer is set.
 * onStdout sees the output as it comes (to drive the child by its messages);
 * env adds to this process's environment.
 */
export function runChild(
  command: string,
  args: string[],
  killMs: number,
  onStdout?: (chunk: string, child: import('node:child_process').ChildProcess) => void,
  env: Record<string, string> = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(__dirname, '..'),
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    let killedByTimer = false;
    const timer = setTimeout(() => {
      killedByTimer = true;
      child.kill('SIGKILL');
    }, killMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      onStdout?.(d, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, killedByTimer });
    });
  });
}

export function fixture(name: string): string {
  return join(FIXTURES, name);
}
