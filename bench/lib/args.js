'use strict';
// Command-line parsing for every bench script: node:util parseArgs, strict,
// so an unknown flag or a missing value fails (exit 2) with the usage and
// the list of valid flags instead of being ignored.
const { parseArgs } = require('node:util');

/** Prints `message` and the usage to stderr and exits 2. */
function fail(message, usage) {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

/**
 * Parses process.argv.slice(2) against `options` (parseArgs' format; a
 * `--help`/`-h` flag is added) and returns { values, positionals }.
 * `positionals` (default 0) is how many positional arguments are allowed.
 */
function cli(usage, options, { positionals = 0 } = {}) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } };
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: all, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    const flags = Object.entries(all).map(([k, o]) => `--${k}${o.type === 'string' ? '=...' : ''}`);
    fail(`${err.message}\nvalid flags: ${flags.join(' ')}`, usage);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (parsed.positionals.length > positionals) fail(`too many arguments: ${parsed.positionals.join(' ')}`, usage);
  return parsed;
}

/** `text` as a positive integer, or the usage and exit 2. */
function positiveInt(text, what, usage) {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`${what} must be a positive integer, not ${JSON.stringify(text)}`, usage);
  return n;
}

/** The comma-separated names in `text`, each one of `valid`, or the usage and exit 2. */
function names(text, valid, what, usage) {
  const asked = text.split(',').filter(Boolean);
  const unknown = asked.filter((n) => !valid.includes(n));
  if (asked.length === 0 || unknown.length > 0) {
    fail(`unknown ${what}: ${unknown.join(',') || '(none given)'}; valid: ${valid.join(', ')}`, usage);
  }
  return asked;
}

module.exports = { cli, fail, names, positiveInt };
