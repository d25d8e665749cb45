// The macOS code paths, built and run on this machine: KTS_PORTABLE=1 makes
// native/platform_posix.cc take them (socket + fcntl(FD_CLOEXEC) instead of
// SOCK_CLOEXEC, accept instead of accept4, a non-blocking listener with
// accept waiting in poll(2), dup2 of a dead socket to wake blocked calls at
// close). The addon is built into a copy of the package in a temp dir, so
// the normal build/ is untouched, and a smoke suite runs against each build
// in a child process.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_MS, tempDir } from './helpers.js';

const root = join(__dirname, '..');
const tmp = tempDir();
const portable = join(tmp.dir, 'portable');

beforeAll(() => {
  for (const f of ['package.json', 'binding.gyp', 'native', 'dist', 'scripts']) {
    cpSync(join(root, f), join(portable, f), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(portable, 'node_modules'));
  const r = spawnSync(process.execPath, [join(portable, 'scripts', 'build-native.js')], {
    cwd: portable,
    env: { ...process.env, KTS_PORTABLE: '1' },
    encoding: 'utf8',
    timeout: BUILD_MS,
  });
  if (r.status !== 0) throw new Error(`portable build failed:\n${r.stdout}\n${r.stderr}`);
}, BUILD_MS + 10_000);

afterAll(() => tmp.cleanup());

// Runs in a child against one build; prints one JSON line of findings.
const smoke = `
const k = require(process.argv[2]);
const fs = require('node:fs');
const flags = (fd) => parseInt(/^flags:\\s+([0-7]+)/m.exec(fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8);
const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const outcome = (p) => p.then(() => 'ok', (e) => e.name);
(async () => {
  const out = {};
  const s = await k.listen({ host: '127.0.0.1', port: 0 });
  const port = s.address().port;
  out.listenerNonBlocking = (flags(s.fd) & O_NONBLOCK) !== 0;

  // accept times out (poll on the portable path, SO_RCVTIMEO on Linux's)
  let t = performance.now();
  out.acceptTimeout = await outcome(s.accept({ timeout: 150 }));
  out.acceptTimeoutMs = performance.now() - t;

  // connect, accept, echo both ways
  const accepted = s.accept({ timeout: 5000 });
  const c = await k.connect({ host: '127.0.0.1', port, timeout: 5000 });
  const p = await accepted;
  out.acceptedBlocking = (flags(p.fd) & O_NONBLOCK) === 0;
  out.cloexec = (flags(p.fd) & O_CLOEXEC) !== 0 && (flags(c.fd) & O_CLOEXEC) !== 0 && (flags(s.fd) & O_CLOEXEC) !== 0;
  await c.write('ping');
  out.echo = String(await p.readExactly(4, { timeout: 5000 }));

  // read times out in the kernel
  t = performance.now();
  out.readTimeout = await outcome(c.read(10, { timeout: 150 }));
  out.readTimeoutMs = performance.now() - t;

  // close during a pending read wakes it
  const pendingRead = outcome(p.read(10, { timeout: 0 }));
  t = performance.now();
  await p.close();
  out.readAtClose = await pendingRead;
  out.readAtCloseMs = performance.now() - t;

  // close during a pending accept wakes it
  const pendingAccept = outcome(s.accept({ timeout: 0 }));
  t = performance.now();
  await s.close();
  out.acceptAtClose = await pendingAccept;
  out.acceptAtCloseMs = performance.now() - t;
  await c.close();

  // the same over a Unix path
  const path = require('node:path').join(require('node:os').tmpdir(), 'kts-portable-' + process.pid + '.sock');
  const u = await k.listen({ path });
  const ua = u.accept({ timeout: 5000 });
  const uc = await k.connect({ path, timeout: 5000 });
  const up = await ua;
  await up.write('unix');
  out.unixEcho = String(await uc.readExactly(4, { timeout: 5000 }));
  await Promise.all([uc.close(), up.close(), u.close()]);
  out.pending = require(process.argv[3]).pending();
  console.log(JSON.stringify(out));
})();
`;

type Findings = Record<string, unknown>;

function runSmoke(pkgRoot: string): Findings {
  const script = join(tmp.dir, 'smoke.js');
  writeFileSync(script, smoke);
  const addon = join(pkgRoot, 'build', 'Release', 'kernel_timeout_socket.node');
  const r = spawnSync(process.execPath, [script, join(pkgRoot, 'dist', 'index.js'), addon], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`smoke suite failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('KTS_PORTABLE=1 build (the macOS paths, on Linux)', () => {
  it('was compiled with -DKTS_PORTABLE', () => {
    const mk = readFileSync(join(portable, 'build', 'kernel_timeout_socket.target.mk'), 'utf8');
    expect(mk).toContain('-DKTS_PORTABLE');
    expect(existsSync(join(portable, 'build', 'Release', 'kernel_timeout_socket.node'))).toBe(true);
  });

  it.skipIf(process.platform !== 'linux')(
    'passes the smoke suite, taking the portable paths (Linux: /proc fdinfo shows them)',
    () => {
      const f = runSmoke(portable);
      // The portable path: the listener is non-blocking and accept waits in poll(2).
      expect(f.listenerNonBlocking).toBe(true);
      expect(f.acceptedBlocking).toBe(true);
      expect(f.cloexec).toBe(true);
      expect(f.echo).toBe('ping');
      expect(f.unixEcho).toBe('unix');
      expect(f.acceptTimeout).toBe('AcceptTimeoutError');
      expect(f.readTimeout).toBe('ReadTimeoutError');
      expect(f.readAtClose).toBe('SocketClosedError');
      expect(f.acceptAtClose).toBe('SocketClosedError');
      // Wide bounds: a timeout is not early, a close wakes well within 2 s.
      expect(f.acceptTimeoutMs as number).toBeGreaterThanOrEqual(140);
      expect(f.readTimeoutMs as number).toBeGreaterThanOrEqual(140);
      expect(f.readAtCloseMs as number).toBeLessThan(2000);
      expect(f.acceptAtCloseMs as number).toBeLessThan(2000);
      expect(f.pending).toBe(0);
    },
  );

  it.skipIf(process.platform !== 'linux')('the default build takes the Linux paths on the same suite (blocking listener)', () => {
    const f = runSmoke(root);
    expect(f.listenerNonBlocking).toBe(false);
    expect(f.acceptedBlocking).toBe(true);
    expect(f.cloexec).toBe(true);
    expect(f.acceptTimeout).toBe('AcceptTimeoutError');
    expect(f.readAtClose).toBe('SocketClosedError');
    expect(f.acceptAtClose).toBe('SocketClosedError');
  });
});
