// The ESM entry point: the same module instance as the CommonJS one (no
// dual-package hazard: one addon load, one set of error classes).
export * from './index.js';
