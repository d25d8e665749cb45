// The docs cannot rot: every ts/js code block in README.md and docs/*.md is
// type-checked against the package's own types (resolved by package name
// through the exports map, as a user's code would), and docs/API.md has a
// section for every export.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as pkg from '../dist/index.js';
import { tempDir } from './helpers.js';
import { typeCheck } from './typecheck.js';

const root = join(__dirname, '..');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface Block {
  doc: string;
  /** Line in the doc of the block's first code line. */
  line: number;
  file: string;
}

const EXT: Record<string, string> = {
  ts: 'mts',
  typescript: 'mts',
  mts: 'mts',
  cts: 'cts',
  js: 'mjs',
  javascript: 'mjs',
  mjs: 'mjs',
  cjs: 'cjs',
};

function blocks(doc: string): Block[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${doc}:${i + 1}: code block never closed`);
    const lang = open[1]!.toLowerCase();
    let ext = EXT[lang];
    const code = lines.slice(i + 1, end).join('\n');
    if (ext === 'mjs' && /\brequire\(/.test(code)) ext = 'cjs';
    if (ext) {
      const file = `${doc.replace(/[^A-Za-z0-9]+/g, '_')}_L${i + 2}.${ext}`;
      // `export {}` keeps each block a module of its own (top-level await, no shared names).
      writeFileSync(join(tmp.dir, file), ext === 'cjs' || ext === 'cts' ? code : `${code}\nexport {};\n`);
      out.push({ doc, line: i + 2, file });
    }
    i = end;
  }
  return out;
}

const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('code blocks in the docs', () => {
  it('README.md exists, has at least one ts block, and links docs/API.md', () => {
    expect(existsSync(join(root, 'README.md')), 'README.md is missing').toBe(true);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(/^```(ts|typescript)\s*$/m.test(readme), 'README.md has no ```ts block').toBe(true);
    expect(readme).toMatch(/\]\((\.\/)?docs\/API\.md(#[\w-]*)?\)/);
  });

  it('every ts/js block type-checks against the package types', () => {
    mkdirSync(join(tmp.dir, 'node_modules'));
    symlinkSync(root, join(tmp.dir, 'node_modules', 'kernel-timeout-socket'));
    // The clients the README shows (devDependencies), as a user's project has them.
    mkdirSync(join(tmp.dir, 'node_modules', '@types'));
    for (const dep of ['pg', 'ioredis', 'mysql2', 'undici', '@types/pg', 'fastify']) {
      symlinkSync(join(root, 'node_modules', dep), join(tmp.dir, 'node_modules', dep));
    }
    const all = docs.filter((d) => existsSync(join(root, d))).flatMap(blocks);
    expect(all.length).toBeGreaterThan(0);
    const r = typeCheck(
      tmp.dir,
      all.map((b) => b.file),
      { allowJs: true, checkJs: true, skipLibCheck: true },
    );
    // Point each error at the doc and line it came from.
    const errors = r.output
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const m = /^([^(]+)\((\d+),(\d+)\): (.*)$/.exec(l);
        const b = m && all.find((x) => x.file === m[1]);
        return b ? `${b.doc}:${b.line + Number(m![2]) - 1}:${m![3]}: ${m![4]}` : l;
      });
    expect(errors, `doc code blocks that do not type-check:\n${errors.join('\n')}`).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('docs/API.md', () => {
  it('has a section for every export', () => {
    const api = readFileSync(join(root, 'docs', 'API.md'), 'utf8');
    const headings = new Set([...api.matchAll(/^#{2,4} (\w+)\s*$/gm)].map((m) => m[1]));
    const names = Object.keys(pkg).filter((n) => n !== 'default' && n !== '__esModule');
    expect(names).toContain('connect');
    const missing = names.filter((name) => !headings.has(name));
    expect(missing, `exports without a "### name" section in docs/API.md`).toEqual([]);
  });
});
