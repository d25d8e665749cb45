'use strict';
// bench/results/latest.json: the whole report, every figure.
const fs = require('node:fs');
const path = require('node:path');

const RESULTS = path.join(__dirname, '..', 'results');

function writeJson(report, file = path.join(RESULTS, 'latest.json')) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

module.exports = { writeJson, RESULTS };
