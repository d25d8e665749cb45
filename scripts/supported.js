// The platforms the addon builds and runs on, and the message for the rest.
'use strict';

/** Exits with status 1 and a clear message unless this is Linux or macOS. */
function requireSupportedPlatform() {
  if (process.platform === 'linux' || process.platform === 'darwin') return;
  console.error(`kernel-timeout-socket supports Linux and macOS only, not ${process.platform}.`);
  process.exit(1);
}

module.exports = { requireSupportedPlatform };
