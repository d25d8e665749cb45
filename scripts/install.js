#!/usr/bin/env node
// The package's install script. Uses the prebuilt binary the tarball carries
// for this OS and CPU (prebuilds/<platform>-<arch>/, made by
// scripts/prebuild.js) when it loads here; otherwise builds from source with
// node-gyp (scripts/build-native.js), saying why. The binary goes where
// `bindings` looks (build/Release/), so the loader is the same either way.
//
// Build from source on purpose: KTS_BUILD_FROM_SOURCE=1, or npm's
// `--build-from-source` (npm_config_build_from_source), as with node-pre-gyp.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const name = 'kernel_timeout_socket.node';
const target = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', target, name);
const installed = path.join(root, 'build', 'Release', name);

function say(message) {
  console.error(`kernel-timeout-socket: ${message}`);
}

function fromSource(reason) {
  say(`${reason}; building from source with node-gyp (needs python3, make and a C++17 compiler).`);
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) say('the build from source failed (see above).');
  process.exit(r.status ?? 1);
}

/** Why `file` does not load in a fresh Node process, or null when it does. */
function loadError(file) {
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return null;
  const lines = `${r.error ?? ''}${r.stderr}`.split('\n').filter((l) => /Error|error:/.test(l));
  return lines[0]?.trim() || `exit status ${r.status}`;
}

require('./supported.js').requireSupportedPlatform();

const asked =
  process.env.KTS_BUILD_FROM_SOURCE === '1'
    ? 'KTS_BUILD_FROM_SOURCE=1'
    : /^(true|1)$/.test(process.env.npm_config_build_from_source ?? '')
      ? '--build-from-source'
      : '';
if (asked) fromSource(`${asked} asks for it`);
if (!fs.existsSync(prebuilt)) fromSource(`no prebuilt binary for ${target}`);

fs.mkdirSync(path.dirname(installed), { recursive: true });
fs.copyFileSync(prebuilt, installed);
const why = loadError(installed);
if (why !== null) {
  fs.rmSync(installed, { force: true });
  fromSource(`the prebuilt binary for ${target} does not load here (${why})`);
}
say(`using the prebuilt binary for ${target} (N-API; set KTS_BUILD_FROM_SOURCE=1 to compile instead).`);
