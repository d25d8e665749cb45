#!/usr/bin/env node
// The package's install script. The loader (node-gyp-build, in
// lib/native.ts) takes the prebuilt binary the tarball carries for this
// process (prebuilds/<platform>-<arch>/, made by scripts/prebuild.js) where
// it sits, so an install that runs no scripts works where one fits. This
// script checks that the one the loader would take loads here, and builds
// from source with node-gyp (scripts/build-native.js) only where none fits
// or it does not load, saying why. A build from source lands in
// build/Release/, which the loader prefers.
//
// Build from source on purpose: KTS_BUILD_FROM_SOURCE=1, or npm's
// `--build-from-source` (npm_config_build_from_source), as with node-pre-gyp.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

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

/** The prebuilt binary the loader would take in this process, or null when none fits. */
function fittingPrebuilt() {
  process.env.PREBUILDS_ONLY = '1'; // node-gyp-build reads it once, when first required
  try {
    return require('node-gyp-build').resolve(root);
  } catch {
    return null;
  }
}

/** Why `file` does not load in a fresh Node process, or null when it does. */
function loadError(file) {
  const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0) return null;
  const lines = `${r.error ?? ''}${r.stderr}`.split('\n').filter((l) => /Error|error:/.test(l));
  return lines[0]?.trim() || `exit status ${r.status}`;
}

require('./supported.js').requireSupportedPlatform();

// This process as the loader sees it (node-gyp-build's own tests, overrides included).
const platform = process.env.npm_config_platform || process.platform;
const arch = process.env.npm_config_arch || process.arch;
const musl = (process.env.LIBC || (platform === 'linux' && fs.existsSync('/etc/alpine-release') ? 'musl' : '')) === 'musl';
const target = `${platform}-${arch}${musl ? ' (musl)' : ''}`;
const asked =
  process.env.KTS_BUILD_FROM_SOURCE === '1'
    ? 'KTS_BUILD_FROM_SOURCE=1'
    : /^(true|1)$/.test(process.env.npm_config_build_from_source ?? '')
      ? '--build-from-source'
      : '';
if (asked) fromSource(`${asked} asks for it`);
const prebuilt = fittingPrebuilt();
if (prebuilt === null) fromSource(`no prebuilt binary for ${target}`);
const why = loadError(prebuilt);
if (why !== null) fromSource(`the prebuilt binary for ${target} does not load here (${why})`);
// A build from an earlier install would shadow the prebuilt binary.
fs.rmSync(path.join(root, 'build'), { recursive: true, force: true });
say(`using the prebuilt binary for ${target} (N-API; set KTS_BUILD_FROM_SOURCE=1 to compile instead).`);
