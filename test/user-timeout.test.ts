// TCP_USER_TIMEOUT: when the peer stops acknowledging, the kernel drops the
// connection after the user timeout and the pending operation rejects with
// ConnectionTimedOutError (ETIMEDOUT): the connection is dead, which is not
// a TimeoutError (those leave the socket usable).
//
// The peer "stops acknowledging" through a netfilter rule this test makes
// and removes itself: an nftables table of its own (named after this
// process) that drops the client's packets to one loopback port. Needs root
// (CAP_NET_ADMIN) and the `nft` tool (Debian: apt-get install nftables).
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionTimedOutError, TimeoutError, type TimerMode } from '../dist/index.js';
import { pair } from './helpers.js';

const TABLE = `kts_user_timeout_${process.pid}`;

function nft(...args: string[]): void {
  execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'netfilter is Linux only';
  if (process.getuid?.() !== 0) return 'not root: cannot add a netfilter rule';
  const probe = spawnSync('nft', ['--version'], { stdio: 'ignore', timeout: 10_000 });
  if (probe.error || probe.status !== 0) return 'the nft tool is missing (apt-get install nftables)';
  try {
    nft('add', 'table', 'inet', TABLE);
    nft('add', 'chain', 'inet', TABLE, 'input', '{ type filter hook input priority 0; policy accept; }');
  } catch (err) {
    spawnSync('nft', ['delete', 'table', 'inet', TABLE], { stdio: 'ignore', timeout: 10_000 });
    return `nftables refused a table: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? err}`;
  }
  return undefined;
}

const skipReason = unavailable();
if (skipReason) console.warn(`user-timeout tests skipped: ${skipReason}`);

afterAll(() => {
  if (!skipReason) nft('delete', 'table', 'inet', TABLE);
});

describe('TCP_USER_TIMEOUT', () => {
  it.skipIf(skipReason !== undefined).each(['sockopt', 'poll'] as TimerMode[])(
    "kills a connection whose peer stops acknowledging (timer '%s')",
    async (timer) => {
      const p = await pair('tcp4', { userTimeout: 1000, timer });
      try {
        const server = p.client.remoteAddress() as { port: number };
        const local = p.client.address() as { port: number };
        // Drop everything the client sends to the server on this connection.
        nft(
          'add',
          'rule',
          'inet',
          TABLE,
          'input',
          'ip',
          'saddr',
          '127.0.0.1',
          'tcp',
          'sport',
          String(local.port),
          'tcp',
          'dport',
          String(server.port),
          'drop',
        );
        await p.client.write('never acknowledged');
        const t0 = Date.now();
        // The read's own timeout (20 s) is far later than the user timeout.
        const err = await p.client.read(100, { timeout: 20_000 }).catch((e) => e);
        const took = Date.now() - t0;
        expect(err).toBeInstanceOf(ConnectionTimedOutError);
        expect(err).not.toBeInstanceOf(TimeoutError);
        expect(err.code).toBe('ETIMEDOUT');
        // Wide bound: the kernel checks at retransmission timeouts (200 ms,
        // 400 ms, 800 ms... on loopback), so 1 s fires within ~1-2 s.
        expect(took).toBeGreaterThanOrEqual(900);
        expect(took).toBeLessThan(15_000);
        expect(p.client.info().state).toBe('CLOSE');
      } finally {
        nft('flush', 'chain', 'inet', TABLE, 'input');
        await p.close();
      }
    },
  );
});
