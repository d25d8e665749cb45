/// <reference types="node" preserve="true" />
// The ESM entry point: the same module instance as the CommonJS one (no
// dual-package hazard: one addon load, one set of error classes). The
// default export is the CommonJS exports object, as Node gives for any
// CommonJS module, so `import kts from 'kernel-timeout-socket'` works too.
// The reference above: see index.ts.
export * from './index.js';
export { default } from './index.js';
