// A client script in a child process with a kill timer, for "a script whose
// pool holds an idle connection exits on its own". The script gets the
// package as `kts` (dist/index.js), its arguments as `args` and the engine
// to use as `engine`.
import { join } from 'node:path';
import { expect } from 'vitest';
import { runChild, type ChildResult } from './stress-helpers.js';

export const EXIT_KILL_MS = 20_000;

/** The last of `args` is the engine: the script sees it as `engine`, and the rest as `args`. */
export function runClientScript(body: string, args: string[] = []): Promise<ChildResult> {
  const script = `
const kts = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
const args = process.argv.slice(1);
const engine = args.pop();
(async () => {
${body}
})().catch((err) => { console.error(err); process.exitCode = 1; });
`;
  return runChild(process.execPath, ['-e', script, ...args], EXIT_KILL_MS);
}

/** The script printed `stdout`, nothing on stderr, and exited 0 on its own (not by the kill timer). */
export function expectExitedOnItsOwn(r: ChildResult, stdout: string): void {
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(stdout);
  expect(r.killedByTimer).toBe(false);
  expect(r.code).toBe(0);
}
