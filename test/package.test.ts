// The package as a user gets it: `npm pack` (with the prebuilt binary
// `prepack` makes), then install the tarball into fresh projects with no
// dev dependencies and no TypeScript, from the npm cache (--offline; the
// repo's own `npm ci` has warmed it; the registry only if a dependency's
// newer release is missing there): one with a PATH that holds no compiler,
// make or python3 (on linux-x64 the install script must take the prebuilt
// binary; elsewhere it builds with node-gyp); one the same with
// --ignore-scripts (the loader must take the prebuilt binary where it sits);
// one with the compiler and KTS_BUILD_FROM_SOURCE=1, built with the node-gyp
// npm provides, since the package does not declare one. Then require() it,
// import it, and type-check a .mts and a .cts file that use it.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_MS, tempDir } from './helpers.js';
import { typeCheck } from './typecheck.js';

const root = join(__dirname, '..');
const tmp = tempDir();
const app = join(tmp.dir, 'app');
/** Installed with --ignore-scripts and the bare PATH. */
const noScripts = join(tmp.dir, 'no-scripts');
/** Installed with the machine's PATH (a compiler) and KTS_BUILD_FROM_SOURCE=1. */
const fromSourceApp = join(tmp.dir, 'from-source');
let packed: string[] = [];
let installLog = '';
let noScriptsLog = '';
let fromSourceLog = '';
const binary = 'kernel_timeout_socket.napi.glibc.node';
/** beforeAll's bound: two compiles (the prebuild, the from-source install), then the rest. */
const SETUP_MS = 2 * BUILD_MS + 300_000;
/** The target the tarball carries a prebuilt binary for, if this machine is one. */
const prebuilt = process.platform === 'linux' && process.arch === 'x64' ? 'linux-x64' : null;
/** A bin dir with only what npm and node need: node, npm, sh. No cc, g++, make, python3. */
const bareBin = join(tmp.dir, 'bin');
/** The node-gyp bundled with npm, which npm gives install scripts (npm_config_node_gyp). */
let npmNodeGyp = '';

function makeBareBin(): void {
  mkdirSync(bareBin);
  const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  symlinkSync(process.execPath, join(bareBin, 'node'));
  symlinkSync(npmCli, join(bareBin, 'npm'));
  npmNodeGyp = join(dirname(dirname(npmCli)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(npmNodeGyp)) throw new Error(`npm's node-gyp is not at ${npmNodeGyp}`);
  symlinkSync('/bin/sh', join(bareBin, 'sh'));
}

/** userEnv() with PATH cut down to bareBin (on linux-x64, where the prebuilt must do). */
function installEnv(): NodeJS.ProcessEnv {
  return prebuilt ? { ...userEnv(), PATH: bareBin } : userEnv();
}

/** The environment of a user's shell: none of the npm_* variables `npm test` sets, no user npmrc. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): { status: number | null; out: string } {
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

beforeAll(() => {
  // The registry and cache the repo's install used, so --offline finds them.
  const config = (key: string) => execFileSync('npm', ['config', 'get', key], { cwd: root, encoding: 'utf8' }).trim();
  const registry = config('registry');
  const cache = config('cache');

  // --ignore-scripts: `prepare` would rebuild dist/ while other test files
  // (in parallel forks) load it; `npm test`'s pretest has just built it.
  // So `prepack`'s prebuild runs here, for this machine's target only.
  if (prebuilt) {
    const pb = spawnSync(process.execPath, [join(root, 'scripts', 'prebuild.js'), prebuilt], {
      cwd: root,
      encoding: 'utf8',
      timeout: BUILD_MS,
    });
    if (pb.status !== 0) throw new Error(`prebuild failed:\n${pb.stdout}\n${pb.stderr}`);
  }
  const pack = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp.dir], root, userEnv(), 120_000);
  // As `postpack` does: a prebuilt left in the checkout would be taken by
  // the next `npm ci` in place of the sources it was not built from.
  rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.out}`);
  const info = JSON.parse(pack.out.slice(pack.out.indexOf('['), pack.out.lastIndexOf(']') + 1)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  packed = info[0]!.files.map((f) => f.path).sort();

  mkdirSync(app);
  makeBareBin();
  const userconfig = join(tmp.dir, 'empty-npmrc');
  writeFileSync(userconfig, '');
  const install = (dir: string, env: NodeJS.ProcessEnv, extra: string[]) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'app', private: true, dependencies: { 'kernel-timeout-socket': `file:../${info[0]!.filename}` } }),
    );
    const run = (mode: string) => npm(['install', mode, ...extra, ...common], dir, env, BUILD_MS); // from source: a compile
    const r = run('--offline');
    // A fresh resolution may want a newer release of a dependency than the
    // repo's lockfile put in the cache; then (only then) the registry may
    // supply it. Nothing else is fetched: node-gyp uses local headers.
    const out = r.status !== 0 && r.out.includes('ENOTCACHED') ? run('--prefer-offline') : r;
    if (out.status !== 0) throw new Error(`npm install of the tarball into ${dir} failed:\n${out.out}`);
    return out.out;
  };
  const common = [
    '--no-audit',
    '--no-fund',
    '--foreground-scripts',
    '--userconfig',
    userconfig,
    '--registry',
    registry,
    '--cache',
    cache,
  ];
  installLog = install(app, installEnv(), []);
  noScriptsLog = install(noScripts, { ...userEnv(), PATH: bareBin }, ['--ignore-scripts']);
  fromSourceLog = install(fromSourceApp, { ...userEnv(), KTS_BUILD_FROM_SOURCE: '1' }, []);
}, SETUP_MS);

afterAll(() => tmp.cleanup());

const pkg = () => join(app, 'node_modules', 'kernel-timeout-socket');

/** The binary file the package's addon is loaded from in a fresh process run in `dir`. */
function loadedFrom(dir: string): string {
  // On Linux the process's own memory map says which file was dlopen()ed;
  // elsewhere ask the loader which file it takes.
  const script = `const path = require('node:path');
    const root = path.dirname(require.resolve('kernel-timeout-socket/package.json'));
    require('kernel-timeout-socket');
    const maps = process.platform === 'linux' ? require('node:fs').readFileSync('/proc/self/maps', 'utf8') : '';
    const mapped = [...new Set(maps.split('\\n').filter((l) => l.endsWith('.node')).map((l) => l.slice(l.indexOf('/'))))];
    console.log(process.platform === 'linux' ? mapped.join(' ') : require(require.resolve('node-gyp-build', { paths: [root] })).resolve(root));`;
  return execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', timeout: 30_000 }).trim();
}

describe('npm pack', () => {
  it('holds only what users need: compiled lib and types, binding.gyp, native sources, prebuilt binaries, the install scripts, README, CHANGELOG, docs, LICENSE', () => {
    const allowed = [
      /^dist\/[a-z-]+\.(js|d\.ts|mjs|d\.mts)$/,
      /^native\/[a-z_]+\.(cc|h)$/,
      /^binding\.gyp$/,
      /^scripts\/(build-native|install|supported)\.js$/,
      /^prebuilds\/linux-(x64|arm64)\/kernel_timeout_socket\.napi\.glibc\.node$/,
      /^package\.json$/,
      /^README\.md$/,
      /^CHANGELOG\.md$/,
      /^docs\/[A-Za-z-]+\.md$/,
      /^LICENSE$/,
    ];
    expect(packed.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.mjs',
      'dist/index.d.mts',
      'binding.gyp',
      'LICENSE',
      'CHANGELOG.md',
    ]) {
      expect(packed).toContain(f);
    }
    if (existsSync(join(root, 'README.md'))) expect(packed).toContain('README.md');
    if (prebuilt) expect(packed).toContain(`prebuilds/${prebuilt}/${binary}`);
  });

  it('ships every doc the README links to, so its links work in the installed package', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(((?:docs\/)?[A-Za-z-]+\.md)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThan(0);
    for (const f of new Set(linked)) expect(packed).toContain(f);
  });

  it('ships no stale build output: every dist file comes from a source in lib/', () => {
    const sources = new Set(readdirSync(join(root, 'lib')).map((f) => f.replace(/\.m?ts$/, '')));
    const stale = packed
      .filter((f) => f.startsWith('dist/'))
      .filter((f) => !sources.has(f.slice(5).replace(/\.(d\.ts|js|mjs|d\.mts)$/, '')));
    expect(stale).toEqual([]);
  });

  it('ships every native source binding.gyp compiles and every header', () => {
    const gyp = readFileSync(join(root, 'binding.gyp'), 'utf8');
    const sources = [...gyp.matchAll(/"(native\/[a-z_]+\.cc)"/g)].map((m) => m[1]!);
    const headers = readdirSync(join(root, 'native'))
      .filter((f) => f.endsWith('.h'))
      .map((f) => `native/${f}`);
    expect(sources.length).toBeGreaterThan(0);
    for (const f of [...sources, ...headers]) expect(packed).toContain(f);
  });
});

describe('platform honesty', () => {
  it('package.json says Linux and macOS, Node >= 22.9 (the floor the README explains)', () => {
    const meta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(meta.os).toEqual(['linux', 'darwin']);
    expect(meta.engines.node).toBe('>=22.9.0');
  });

  it('the install script refuses any other OS with a clear message and a failing exit code', () => {
    // The script as the installed package runs it, with process.platform
    // reporting another OS (the only way to be another OS on this machine).
    const script = join(pkg(), 'scripts', 'build-native.js');
    const r = spawnSync(
      process.execPath,
      ['-e', `Object.defineProperty(process, 'platform', { value: 'win32' }); require(${JSON.stringify(script)});`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('kernel-timeout-socket supports Linux and macOS only, not win32.');
    expect(r.stdout).not.toContain('gyp info'); // it stops before node-gyp
  });
});

describe('installed from the tarball in a fresh project', () => {
  it.skipIf(!prebuilt)('the install took the prebuilt binary, with no compiler, make or python3 on PATH', () => {
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3', 'python']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { env: { PATH: bareBin }, encoding: 'utf8' });
      expect(found.stdout, `${tool} is on the install's PATH`).toBe('');
    }
    expect(installLog).toContain(`kernel-timeout-socket: using the prebuilt binary for ${prebuilt}`);
    expect(installLog).not.toContain('gyp info');
    // Nothing built or copied: the loader takes the binary where it sits.
    expect(existsSync(join(pkg(), 'build'))).toBe(false);
    expect(loadedFrom(app)).toBe(join(pkg(), 'prebuilds', prebuilt!, binary));
  });

  it.skipIf(prebuilt)('the install script built the addon with node-gyp, without downloading headers', () => {
    expect(installLog).toContain('gyp info ok');
    expect(installLog).not.toMatch(/gyp http GET/);
  });

  it('installed only runtime dependencies: the package, node-addon-api (headers for a build from source), node-gyp-build', () => {
    const ls = npm(['ls', '--omit=dev', '--all', '--parseable'], app, userEnv(), 60_000);
    expect(ls.status).toBe(0);
    const tree = ls.out
      .split('\n')
      .filter((l) => l.startsWith(app))
      .map((l) => l.slice(app.length))
      .sort();
    expect(tree).toEqual([
      '',
      '/node_modules/kernel-timeout-socket',
      '/node_modules/node-addon-api',
      '/node_modules/node-gyp-build',
    ]);
  });

  /**
   * The installed package's install script, run again in a copy of the
   * package (so the installed one stays intact) with the bare PATH: every
   * way to build from source must say why and reach node-gyp, which fails
   * there for want of python3 and a compiler.
   */
  function reinstall(copy: string, env: NodeJS.ProcessEnv): { status: number | null; err: string } {
    const dir = join(app, copy, 'node_modules', 'kernel-timeout-socket');
    cpSync(pkg(), dir, { recursive: true });
    rmSync(join(dir, 'build'), { recursive: true, force: true });
    const script = join(dir, 'scripts', 'install.js');
    if (copy === 'broken') writeFileSync(join(dir, 'prebuilds', prebuilt!, binary), 'not an ELF file\n'.repeat(64));
    const r = spawnSync(process.execPath, [script], {
      cwd: dir,
      // npm_config_node_gyp: npm's own node-gyp, as npm hands it to install scripts.
      env: { ...userEnv(), PATH: bareBin, npm_config_node_gyp: npmNodeGyp, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(existsSync(join(dir, 'build', 'Release', 'kernel_timeout_socket.node'))).toBe(false);
    return { status: r.status, err: `${r.stdout}\n${r.stderr}` };
  }

  const fromSource = 'building from source with node-gyp (needs python3, make and a C++17 compiler).';

  it.skipIf(!prebuilt)('KTS_BUILD_FROM_SOURCE=1 or --build-from-source skip the prebuilt binary and say so', () => {
    for (const [copy, env, why] of [
      ['env', { KTS_BUILD_FROM_SOURCE: '1' }, 'KTS_BUILD_FROM_SOURCE=1 asks for it'],
      ['flag', { npm_config_build_from_source: 'true' }, '--build-from-source asks for it'],
    ] as const) {
      const r = reinstall(copy, env);
      expect(r.err).toContain(`kernel-timeout-socket: ${why}; ${fromSource}`);
      expect(r.err).toContain('gyp'); // node-gyp ran, and failed for want of tools
      expect(r.err).toContain('kernel-timeout-socket: the build from source failed');
      expect(r.status).not.toBe(0);
      expect(r.err).not.toContain('using the prebuilt binary');
    }
  });

  it.skipIf(!prebuilt)('a prebuilt binary that does not load falls back to node-gyp and says why', () => {
    const r = reinstall('broken', {});
    expect(r.err).toMatch(
      new RegExp(
        `kernel-timeout-socket: the prebuilt binary for ${prebuilt} does not load here \\(.*invalid ELF header.*\\); building from source`,
      ),
    );
    expect(r.err).toContain('gyp');
    expect(r.status).not.toBe(0);
  });

  it('an OS and CPU with no prebuilt binary build from source and say so', () => {
    // npm_config_arch: the CPU the loader (node-gyp-build) matches prebuilt binaries against.
    const r = reinstall('other-arch', { npm_config_arch: 'riscv64' });
    expect(r.err).toContain(`kernel-timeout-socket: no prebuilt binary for ${process.platform}-riscv64; ${fromSource}`);
    expect(r.status).not.toBe(0);
  });

  const smoke = (load: string) => `
    const s = await k.listen({ host: '127.0.0.1', port: 0 });
    const accepted = s.accept({ timeout: 5000 });
    const c = await k.connect({ host: '127.0.0.1', port: s.address().port, timeout: 5000, readTimeout: 50 });
    const p = await accepted;
    await c.write('ping');
    const got = String(await p.readExactly(4, { timeout: 5000 }));
    const err = await c.read().catch((e) => e);
    await Promise.all([c.close(), p.close(), s.close()]);
    console.log(JSON.stringify({ load: ${JSON.stringify(load)}, got, timeout: err instanceof k.ReadTimeoutError, names: Object.keys(k).sort() }));
  `;

  function node(args: string[], cwd = app): { got: string; timeout: boolean; names: string[] } {
    const out = execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 30_000 });
    return JSON.parse(out.trim().split('\n').pop()!);
  }

  it.skipIf(!prebuilt)(
    'installed with --ignore-scripts and no compiler on PATH, it loads the prebuilt binary where it sits and does a kernel read timeout',
    () => {
      expect(noScriptsLog).not.toContain('kernel-timeout-socket:'); // the install script did not run
      const dir = join(noScripts, 'node_modules', 'kernel-timeout-socket');
      expect(existsSync(join(dir, 'build'))).toBe(false);
      expect(loadedFrom(noScripts)).toBe(join(dir, 'prebuilds', prebuilt!, binary));
      const r = node(['-e', `const k = require('kernel-timeout-socket'); (async () => { ${smoke('require')} })();`], noScripts);
      expect(r.got).toBe('ping');
      expect(r.timeout).toBe(true);
    },
  );

  it('installed with --ignore-scripts where no prebuilt binary fits, import fails saying how to build it', () => {
    // npm_config_arch: the CPU the loader matches prebuilt binaries against.
    const r = spawnSync(process.execPath, ['-e', "require('kernel-timeout-socket')"], {
      cwd: noScripts,
      env: { ...userEnv(), npm_config_arch: 'riscv64' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'kernel-timeout-socket: no prebuilt binary fits this platform and none was built from source (install scripts blocked?). Build it with `npm rebuild kernel-timeout-socket`',
    );
  });

  it('with a compiler, it builds from source with the node-gyp npm provides (the package declares none) and runs', () => {
    expect(fromSourceLog).toContain('kernel-timeout-socket: KTS_BUILD_FROM_SOURCE=1 asks for it; building from source');
    expect(fromSourceLog).toContain('gyp info ok');
    expect(fromSourceLog).not.toMatch(/gyp http GET/);
    expect(existsSync(join(fromSourceApp, 'node_modules', 'node-gyp'))).toBe(false);
    const dir = join(fromSourceApp, 'node_modules', 'kernel-timeout-socket');
    expect(loadedFrom(fromSourceApp)).toBe(join(dir, 'build', 'Release', 'kernel_timeout_socket.node'));
    const r = node(['-e', `const k = require('kernel-timeout-socket'); (async () => { ${smoke('require')} })();`], fromSourceApp);
    expect(r.got).toBe('ping');
    expect(r.timeout).toBe(true);
  });

  it('require() works (CommonJS) and the addon runs', () => {
    const r = node(['-e', `const k = require('kernel-timeout-socket'); (async () => { ${smoke('require')} })();`]);
    expect(r.got).toBe('ping');
    expect(r.timeout).toBe(true);
    expect(r.names).toContain('connect');
  });

  it('import works (ESM), with the same exports and the same classes as require()', () => {
    const r = node([
      '--input-type=module',
      '-e',
      `import * as k from 'kernel-timeout-socket';
       import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('kernel-timeout-socket');
       if (k.ReadTimeoutError !== cjs.ReadTimeoutError) throw new Error('two copies of the module');
       if (k.default !== cjs) throw new Error('default export is not the CommonJS exports');
       ${smoke('import')}`,
    ]);
    const cjs = node(['-e', `const k = require('kernel-timeout-socket'); (async () => { ${smoke('require')} })();`]);
    expect(r.got).toBe('ping');
    expect(r.timeout).toBe(true);
    // What users rely on: every name require() gives is also a named ESM
    // export (the identity of the classes is checked in the child above),
    // and `default` is the CommonJS exports object. Node adds names of its
    // own beside them, which vary by version: tsc's `__esModule` marker, and
    // on Node 24 and 26 (not 22) `'module.exports'` (the same object as `default`).
    expect(r.names).toEqual(expect.arrayContaining(cjs.names));
    expect(r.names).toContain('default');
    const nodeOwn = ['default', '__esModule', 'module.exports'];
    expect(r.names.filter((n) => !cjs.names.includes(n) && !nodeOwn.includes(n))).toEqual([]);
  });

  it('tsc --noEmit type-checks a .mts (import) and a .cts (require) file against the shipped types', () => {
    writeFileSync(
      join(app, 'esm.mts'),
      `import { connect, listen, LineReader, ReadTimeoutError, type KernelSocket } from 'kernel-timeout-socket';
import kts from 'kernel-timeout-socket';
const sameConnect: typeof connect = kts.connect;
void sameConnect;
await using server = await listen({ host: '127.0.0.1', port: 0 });
const { port } = server.address() as { port: number };
await using sock: KernelSocket = await connect({ host: '127.0.0.1', port, readTimeout: 100 });
const stream = sock.toStream({ highWaterMark: 1024 });
stream.on('error', (err) => {
  if (err instanceof ReadTimeoutError) console.log(err.timeout, err.decidedAt);
});
const line: Buffer | null = await new LineReader(sock).readLine({ timeout: 10 });
void line;
// @ts-expect-error the types are live: port must be a number
await connect({ port: '80' });
`,
    );
    writeFileSync(
      join(app, 'cjs.cts'),
      `import kts = require('kernel-timeout-socket');
export async function main(): Promise<void> {
  const sock: kts.KernelSocket = await kts.connect({ host: '127.0.0.1', port: 1, timeout: 100 });
  const chunk: Buffer | null = await sock.read(10);
  void chunk;
  // @ts-expect-error the types are live: read() takes a size, not a string
  await sock.read('10');
}
`,
    );
    // skipLibCheck off: the shipped .d.ts/.d.mts must type-check too.
    const r = typeCheck(app, ['esm.mts', 'cjs.cts'], { skipLibCheck: false });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('a TypeScript 7 project with @types/node installed and `types` left at its default compiles against the shipped types', () => {
    // TypeScript 6+ no longer loads every @types package: with `types`
    // unset, only what the code (or the .d.ts it reaches) references is
    // loaded. The shipped types must bring Node's own types in themselves.
    const dir = join(app, 'ts7');
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ts7', private: true, type: 'module' }));
    writeFileSync(
      join(dir, 'use.ts'),
      `import { connect, EndOfStreamError, ReadTimeoutError } from 'kernel-timeout-socket';
export async function ping(port: number): Promise<number> {
  const sock = await connect({ host: '127.0.0.1', port, readTimeout: 100 });
  try {
    await sock.write('ping');
    const got = await sock.read(4);
    return got === null ? 0 : got.length;
  } catch (err) {
    if (err instanceof EndOfStreamError) return err.partial.length;
    if (err instanceof ReadTimeoutError) return -1;
    throw err;
  } finally {
    await sock.close();
  }
}
`,
    );
    const tsc = JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')).version as string;
    expect(Number(tsc.split('.')[0])).toBeGreaterThanOrEqual(7);
    // types/typeRoots undefined: dropped from the tsconfig, left at TypeScript's default.
    const r = typeCheck(dir, ['use.ts'], { skipLibCheck: false, types: undefined, typeRoots: undefined });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('the types also resolve for bundler-style projects (moduleResolution bundler: the import condition)', () => {
    const dir = join(app, 'bundler');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'use.ts'),
      `import { connect, toStream, type KernelSocketStream } from 'kernel-timeout-socket';
export async function open(port: number): Promise<KernelSocketStream> {
  return toStream(await connect({ host: '127.0.0.1', port }));
}
// @ts-expect-error the types are live: timeout must be a number
void connect({ port: 1, timeout: 'soon' });
`,
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bundled', private: true, type: 'module' }));
    const r = typeCheck(dir, ['use.ts'], { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: false });
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});
