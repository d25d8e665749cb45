// A client script in a child process with a kill timer, for "a script whose
// pool holds an idle connection exits on its own". The script gets the
// package as `kts` (dist/index.js) and its arguments as `args`.
import { join } from 'node:path';
import { runChild, type ChildResult } from './stress-helpers.js';

export const EXIT_KILL_MS = 20_000;

export function runClientScript(body: string, args: string[] = []): Promise<ChildResult> {
  const script = `
const kts = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
const args = process.argv.slice(1);
(async () => {
${body}
})().catch((err) => { console.error(err); process.exitCode = 1; });
`;
  return runChild(process.execPath, ['-e', script, ...args], EXIT_KILL_MS);
}
