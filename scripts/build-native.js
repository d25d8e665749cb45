#!/usr/bin/env node
// Builds the addon with node-gyp (see nodeGyp() for which one). When this Node's own headers sit beside
// its binary (<prefix>/include/node, as on distro and official builds), point
// node-gyp at them with --nodedir, so the build needs no download and does
// not depend on a user's npmrc. Otherwise node-gyp fetches headers as usual.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

require('./supported.js').requireSupportedPlatform();

const prefix = path.dirname(path.dirname(process.execPath));
const headers = path.join(prefix, 'include', 'node', 'node_api.h');
const args = ['rebuild'];
if (fs.existsSync(headers)) args.push(`--nodedir=${prefix}`);
if (process.env.KTS_DEBUG_BUILD) args.push('--debug');
args.push(...process.argv.slice(2)); // e.g. --arch=arm64 from scripts/prebuild.js

/**
 * The node-gyp to run, as [command, ...leading args]: a checkout's own (a
 * dev dependency), else the one the package manager running the install
 * script provides (npm and pnpm name it in npm_config_node_gyp and put it on
 * PATH; Yarn puts it on PATH). This package does not depend on node-gyp.
 */
function nodeGyp() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    const given = process.env.npm_config_node_gyp;
    if (given) return given.endsWith('.js') ? [process.execPath, given] : [given];
    return ['node-gyp'];
  }
}

const [cmd, ...lead] = nodeGyp();
const root = path.resolve(__dirname, '..');
const r = spawnSync(cmd, [...lead, ...args], { cwd: root, stdio: 'inherit' });
if (r.error?.code === 'ENOENT') {
  console.error('kernel-timeout-socket: node-gyp not found; run the install through npm, pnpm or Yarn, or install node-gyp.');
  process.exit(1);
}
if (r.error) throw r.error;
process.exit(r.status ?? 1);
