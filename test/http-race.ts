// The two races of an HTTP server's timeouts, for http-server-race.test.ts
// and https-server-race.test.ts. The server's event loop stalls (in
// setImmediate: a stall inside a timer callback does not trigger the race,
// see HTTP-SERVER.md) while the client, in a child process
// (fixtures/http-race-client.js), puts the bytes that should win into the
// kernel before their deadline.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { runChild } from './stress-helpers.js';

export type Scenario = 'keepalive' | 'headers';
/** Makes the server under test with these http options and request listener. */
export type Serve = (options: http.ServerOptions, listener: http.RequestListener) => http.Server;

const KEEP_ALIVE_MS = 1000;
/** Past every Node's keep-alive timer (keepAliveTimeout + a buffer of up to 1000 ms). */
const KEEP_ALIVE_STALL_MS = KEEP_ALIVE_MS + 1000 + 700;
const HEADERS_MS = 1000;
const HEADERS_STALL_MS = HEADERS_MS + 1500;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Blocks the event loop: tells the client (dir/stalling), then runs until the
 * client has put its bytes into the kernel (dir/sent, bounded) and `ms` have passed.
 */
function stall(dir: string, ms: number): void {
  const until = Date.now() + ms;
  const giveUp = Date.now() + 10_000;
  writeFileSync(join(dir, 'stalling'), '');
  while ((!existsSync(join(dir, 'sent')) || Date.now() < until) && Date.now() < giveUp) {
    // a synchronous stall, as a slow handler or a GC pause
  }
}

/**
 * Plays `scenario` against the server `serve` makes, the client speaking
 * plain TCP or TLS: what statuses it got and its error code.
 */
export async function race(
  serve: Serve,
  scenario: Scenario,
  transport: 'tcp' | 'tls' = 'tcp',
): Promise<{ statuses: number[]; error: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kts-http-'));
  dirs.push(dir);
  const options: http.ServerOptions =
    scenario === 'keepalive'
      ? { keepAliveTimeout: KEEP_ALIVE_MS }
      : // Stock's sweep every 100 ms, so its verdict comes right after the stall.
        { headersTimeout: HEADERS_MS, requestTimeout: 5000, connectionsCheckingInterval: 100 };
  let finished = 0;
  const server = serve(options, (_req, res) => {
    res.end('ok');
    // The first response is out: stall while the next request arrives in time.
    if (scenario === 'keepalive' && ++finished === 1) {
      res.on('finish', () => setImmediate(() => stall(dir, KEEP_ALIVE_STALL_MS)));
    }
  });
  if (scenario === 'headers') {
    // Stall from the start of the first request's clock on (the accept; over
    // TLS, the handshake's end), while the headers arrive in time.
    server.on(transport === 'tls' ? 'secureConnection' : 'connection', () => setImmediate(() => stall(dir, HEADERS_STALL_MS)));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const child = await runChild(
      process.execPath,
      [join(__dirname, 'fixtures', 'http-race-client.js'), String(port), scenario, dir, transport],
      20_000,
    );
    expect(child.stderr).toBe('');
    expect(existsSync(join(dir, 'sent'))).toBe(true);
    return JSON.parse(child.stdout);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
