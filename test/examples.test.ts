// Every example runs with plain node after `npm run build:examples` (which
// this file does first) and prints what the docs say it prints.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTsc } from './typecheck.js';

const root = join(__dirname, '..');
const run = promisify(execFile);

beforeAll(() => {
  const r = runTsc(['-p', 'tsconfig.examples.json'], root);
  if (r.status !== 0) throw new Error(`examples do not compile:\n${r.output}`);
}, 90_000);

const example = (name: string) => join(root, 'dist-examples', `${name}.js`);

let servers: ChildProcess[] = [];
afterEach(() => {
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  servers = [];
});

/** Starts the echo server; resolves with its port once it says it listens, and its output so far. */
async function echoServer(...args: string[]): Promise<{ port: number; child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, [example('echo-server'), '--port', '0', ...args], { cwd: root });
  servers.push(child);
  const output: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      const m = /listening on .*:(\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo-server exited early (${code}): ${output.join('\n')}`)));
  });
  return { port, child, output };
}

async function stop(server: { child: ChildProcess }): Promise<number | null> {
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

describe('examples', () => {
  it('echo-client against echo-server: every message comes back', async () => {
    const server = await echoServer();
    const { stdout } = await run(process.execPath, [example('echo-client'), '--port', String(server.port), '--count', '3'], {
      timeout: 20_000,
    });
    expect(stdout.trim().split('\n')).toEqual([
      'sent "message 1", got "message 1" back',
      'sent "message 2", got "message 2" back',
      'sent "message 3", got "message 3" back',
    ]);
    expect(await stop(server)).toBe(0);
    expect(server.output).toContain('server closed');
  });

  it('echo-client against a stalling echo-server: its read times out in the kernel, exit code 2', async () => {
    const server = await echoServer('--stall-after', '2');
    const child = execFile(process.execPath, [example('echo-client'), '--port', String(server.port), '--read-timeout', '300'], {
      timeout: 20_000,
    });
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c));
    const [code] = await once(child, 'exit');
    const lines = stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['sent "message 1", got "message 1" back', 'sent "message 2", got "message 2" back']);
    expect(lines[2]).toMatch(/^no reply to "message 3" within 300 ms: ERR_SOCKET_READ_TIMEOUT \(recv\), after \d+ ms$/);
    expect(code).toBe(2);
    await expect
      .poll(() => server.output.some((l) => l.includes('closed by the client after 2 echoes')), { timeout: 5000 })
      .toBe(true);
    await stop(server);
  });

  it('line-client: header lines and a sized body through LineReader', async () => {
    const server = await echoServer();
    const { stdout } = await run(process.execPath, [example('line-client'), '--port', String(server.port)], { timeout: 20_000 });
    expect(stdout.trim().split('\n')).toEqual([
      'line: PING',
      'DATA: 55 bytes: "a body of bytes, \\r\\n included, read by size, not by line"',
      'line: QUIT',
    ]);
    await stop(server);
  });
});
