'use strict';
// The one-line progress display on stderr (rewritten in place on a TTY,
// one line per step otherwise, so CI logs stay readable).

const tty = process.stderr.isTTY;
let last = '';

function progress(text) {
  if (text === last) return;
  last = text;
  if (tty) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

function progressDone() {
  if (tty && last) process.stderr.write('\r\x1b[K');
  last = '';
}

module.exports = { progress, progressDone };
