// Runs this repo's TypeScript (tsc) on files in a user-like project dir
// that has neither TypeScript nor @types/node of its own.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..');

export function runTsc(args: string[], cwd: string): { status: number | null; output: string } {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * `tsc --noEmit` of `files` in `dir` as a Node ESM/CJS project (module
 * nodenext, strict), with @types/node from this repo.
 */
export function typeCheck(
  dir: string,
  files: string[],
  options: Record<string, unknown> = {},
): { status: number | null; output: string } {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(repoRoot, 'node_modules', '@types')],
        ...options,
      },
      files,
    }),
  );
  return runTsc(['-p', dir, '--pretty', 'false'], dir);
}
