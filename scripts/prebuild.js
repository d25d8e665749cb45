#!/usr/bin/env node
// Builds the prebuilt binaries the packed tarball carries (npm's `prepack`
// runs this): prebuilds/<platform>-<arch>/kernel_timeout_socket.napi.glibc.node,
// an N-API build that loads on every Node the package supports. The tags in
// the name are prebuildify's, which the loader (node-gyp-build) matches:
// glibc keeps a musl Node (Alpine) from taking it. Each is built
// with node-gyp in a temp copy of the package, so build/ is left alone.
//
// Usage: node scripts/prebuild.js [--out=DIR] [target...]
// Targets: linux-x64, linux-arm64. Default: this machine's target, plus
// linux-arm64 when Debian's cross compiler (aarch64-linux-gnu-g++) is on
// PATH; then prebuilds/ is emptied first, so the tarball carries only what
// this run built. DIR defaults to prebuilds/. Only Linux (glibc) targets:
// macOS users build from source. The glibc floor is the build machine's
// (docs/install.md says which).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = 'kernel_timeout_socket.node';
const name = 'kernel_timeout_socket.napi.glibc.node';
const host = `${process.platform}-${process.arch}`;
const cross = { 'linux-arm64': { arch: 'arm64', prefix: 'aarch64-linux-gnu-' } };

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const asked = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const outFlag = flags.find((f) => f.startsWith('--out='));
const outDir = outFlag ? path.resolve(outFlag.slice(6)) : path.join(root, 'prebuilds');

function targets() {
  if (asked.length > 0) return asked;
  if (process.platform !== 'linux') {
    console.error(`prebuild: no prebuilt binaries from ${host} (Linux only); the tarball will build from source.`);
    return [];
  }
  const out = [host];
  for (const [t, c] of Object.entries(cross)) if (t !== host && onPath(`${c.prefix}g++`)) out.push(t);
  return out;
}

function build(target) {
  const env = { ...process.env };
  for (const k of ['KTS_PORTABLE', 'KTS_DEBUG_BUILD', 'KTS_WERROR']) delete env[k];
  const args = [];
  if (target !== host) {
    const c = cross[target];
    if (!c) throw new Error(`prebuild: cannot build ${target} on ${host}`);
    Object.assign(env, { CC: `${c.prefix}gcc`, CXX: `${c.prefix}g++`, LINK: `${c.prefix}g++`, AR: `${c.prefix}ar` });
    args.push(`--arch=${c.arch}`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kts-prebuild-${target}-`));
  try {
    for (const f of ['package.json', 'binding.gyp', 'native', 'scripts']) {
      fs.cpSync(path.join(root, f), path.join(tmp, f), { recursive: true });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'));
    const r = spawnSync(process.execPath, [path.join(tmp, 'scripts', 'build-native.js'), ...args], {
      cwd: tmp,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0) throw new Error(`prebuild: node-gyp failed for ${target}:\n${r.stdout}`);
    const out = path.join(outDir, target, name);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.copyFileSync(path.join(tmp, 'build', 'Release', built), out);
    console.error(`prebuild: ${out}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (asked.length === 0) fs.rmSync(outDir, { recursive: true, force: true });
for (const t of targets()) build(t);
