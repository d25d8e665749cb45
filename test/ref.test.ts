// ref()/unref() on the stream and on KernelSocket (and the deprecated
// setRef(false)): an unref'd socket with a read pending in the addon lets
// the process exit; ref() (or never calling unref) keeps it alive. Each case
// in a child process, against a node:net peer here that never sends.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from './helpers.js';

let server: net.Server;
let port = 0;
const held: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((s) => {
    held.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

// Prints 'waiting' once a read is pending on a connected socket, after the
// ref calls the mode names.
const CHILD = `
const { createConnection, connect } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))});
const [mode, port, engine] = process.argv.slice(1);
if (mode.startsWith('kernel-')) {
  connect({ host: '127.0.0.1', port: Number(port), engine }).then((sock) => {
    sock.read().then(() => console.log('read ended'), (e) => console.log('read failed', e.code));
    if (mode === 'kernel-unref') sock.unref();
    if (mode === 'kernel-unref-ref') sock.unref().ref();
    if (mode === 'kernel-setRef-false') sock.setRef(false);
    console.log('waiting');
  });
} else if (mode.startsWith('many')) {
  // Three reads pending on each of two sockets (one in the kernel, two
  // queued), ref state flipped back and forth: only the net state counts.
  Promise.all([0, 1].map(() => connect({ host: '127.0.0.1', port: Number(port), engine }))).then(([a, b]) => {
    for (const s of [a, b])
      for (let i = 0; i < 3; i++) s.read().then(() => console.log('read ended'), (e) => console.log('read failed', e.code));
    a.setRef(false);
    b.setRef(false);
    b.setRef(true);
    b.setRef(true); // no change: must not count b's reads twice
    b.setRef(false);
    if (mode === 'many-unref-ref') a.setRef(true);
    console.log('waiting');
  });
} else {
  const s = createConnection({ port: Number(port), host: '127.0.0.1', engine });
  s.on('error', (e) => console.log('error', e.code));
  if (mode === 'unref-before-connect') s.unref();
  s.resume(); // a read pending as soon as connected
  s.on('connect', () => {
    if (mode === 'unref') s.unref();
    if (mode === 'unref-ref') s.unref().ref();
    console.log('waiting');
  });
}
`;

const ALIVE_MS = 1500;
const EXIT_MS = 10_000;

/** Runs the child; resolves how it ended: exited (code) or still alive ALIVE_MS after 'waiting'. */
function run(mode: string, engine: string): Promise<{ exited: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD, mode, String(port), engine], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let alive: NodeJS.Timeout | undefined;
    let stillAlive = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_MS + ALIVE_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('waiting') && !alive) {
        alive = setTimeout(() => {
          stillAlive = true;
          child.kill('SIGKILL');
        }, ALIVE_MS);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (alive) clearTimeout(alive);
      resolve({ exited: !stillAlive, code, stdout, stderr });
    });
  });
}

describe.each(ENGINES)('ref and unref (%s engine)', (engine) => {
  it.each(['unref', 'unref-before-connect', 'kernel-unref', 'kernel-setRef-false', 'many-unref'])(
    '%s: exits on its own with a read pending',
    async (mode) => {
      const r = await run(mode, engine);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('waiting\n'); // the read neither ended nor failed
      expect(r.exited).toBe(true);
      expect(r.code).toBe(0);
    },
  );

  it.each(['ref', 'unref-ref', 'kernel-ref', 'kernel-unref-ref', 'many-unref-ref'])(
    '%s: stays alive while the read is pending',
    async (mode) => {
      const r = await run(mode, engine);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('waiting\n');
      expect(r.exited).toBe(false);
    },
  );
});
