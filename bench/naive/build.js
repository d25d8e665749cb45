'use strict';
// Builds the naive AsyncWorker addon on first use (bench/naive/build, git-
// ignored), with node-gyp pointed at this Node's own headers as
// scripts/build-native.js does, and loads it. Resolves to
// { addon } or { error } so the bench can report why it is missing.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const output = path.join(__dirname, 'build', 'Release', 'naive.node');
const source = path.join(__dirname, 'naive.cc');

function upToDate() {
  try {
    return fs.statSync(output).mtimeMs >= fs.statSync(source).mtimeMs;
  } catch {
    return false;
  }
}

function build() {
  const prefix = path.dirname(path.dirname(process.execPath));
  const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild'];
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: __dirname, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve(code === 0 ? null : `node-gyp exited with ${code}: ${log.slice(-500)}`);
    });
  });
}

async function loadNaive() {
  if (!upToDate()) {
    const failed = await build();
    if (failed) return { error: failed };
  }
  try {
    return { addon: require(output) };
  } catch (err) {
    return { error: String(err) };
  }
}

module.exports = { loadNaive };
