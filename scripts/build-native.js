#!/usr/bin/env node
// Builds the addon with node-gyp. When this Node's own headers sit beside
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

const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const root = path.resolve(__dirname, '..');
const r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
