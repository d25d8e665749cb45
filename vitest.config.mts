import { defineConfig } from 'vitest/config';

// Native addons and vitest's `threads` pool do not mix: every test file runs
// in its own forked process. Tests import the compiled package (dist/, built
// by `pretest`), which is what users get.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
