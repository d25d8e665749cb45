// A self-signed certificate for localhost, made at test time by the openssl
// CLI (.ci/run installs it). Without it the TLS tests skip, except under CI.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

export const openssl = spawnSync('openssl', ['version']).status === 0;
if (!openssl) {
  if (process.env.CI) throw new Error('CI: the openssl CLI is missing; the TLS tests need it');
  console.warn('SKIPPED: the openssl CLI is missing; the TLS tests need it to make a certificate');
}

export function selfSigned(): { key: Buffer; cert: Buffer } {
  const t = tempDir();
  try {
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(t.dir, 'key.pem'),
        '-out',
        join(t.dir, 'cert.pem'),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    return { key: readFileSync(join(t.dir, 'key.pem')), cert: readFileSync(join(t.dir, 'cert.pem')) };
  } finally {
    t.cleanup();
  }
}
