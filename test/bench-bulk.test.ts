// The bulk scenario's plumbing (bench/peers/servers.js, the transfer of
// bench/contenders/throughput.js, bench/lib/median-ci.js): a connection
// carries many requests, however the client's bytes are split or joined,
// and every contender moves exactly what it asked for, window after window,
// on one connection; the median's confidence interval has the textbook
// ranks. Real peers on loopback, real sockets.
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bench = join(__dirname, '..', 'bench');
const { startServers } = require(join(bench, 'peers', 'servers.js'));
const { throughputContenders } = require(join(bench, 'contenders', 'throughput.js'));
const { medianInterval } = require(join(bench, 'lib', 'median-ci.js'));

type Servers = { ports: { source: number; sink: number }; close: () => Promise<unknown> };
let servers: Servers;
beforeAll(async () => {
  servers = await startServers();
});
afterAll(() => servers.close());

const header = (size: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(size));
  return b;
};

async function netOpen(port: number): Promise<Socket> {
  const s = netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** Resolves once `want` bytes came in; rejects if a read brought more. */
function collect(s: Socket, want: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const onData = (d: Buffer) => {
      n += d.length;
      if (n > want) reject(new Error(`got ${n} bytes, asked for ${want}`));
      if (n === want) {
        s.removeListener('data', onData);
        resolve(n);
      }
    };
    s.on('data', onData);
  });
}

describe('bulk peers', () => {
  it('the source answers every request on one connection, split or joined', { timeout: 10_000 }, async () => {
    const s = await netOpen(servers.ports.source);
    try {
      // Two requests in one write, then a third split mid-header.
      const got = collect(s, 150_000);
      s.write(Buffer.concat([header(100_000), header(50_000)]));
      expect(await got).toBe(150_000);
      const third = header(70_000);
      const got3 = collect(s, 70_000);
      s.write(third.subarray(0, 3));
      s.write(third.subarray(3));
      expect(await got3).toBe(70_000);
    } finally {
      s.destroy();
    }
  });

  it('the sink answers one byte per request, its body counted across writes', { timeout: 10_000 }, async () => {
    const s = await netOpen(servers.ports.sink);
    try {
      const body = Buffer.alloc(200_000, 1);
      const acks = collect(s, 3);
      // Two whole requests and a header in one write, the third body after it.
      s.write(Buffer.concat([header(5), body.subarray(0, 5), header(0), header(200_000)]));
      s.write(body);
      expect(await acks).toBe(3);
    } finally {
      s.destroy();
    }
  });
});

describe.each(['net', 'K', 'K-loop'])('bulk transfer of %s', (name) => {
  const c = throughputContenders({ poll: false, loop: true }).find((x: { name: string }) => x.name === name);
  const chunk = Buffer.alloc(64 * 1024, 0x63);
  const size = 3 * 2 ** 20 + 123; // not a whole number of 64 KiB ops

  it('moves exactly the size asked, window after window on one connection', async () => {
    for (const direction of ['download', 'upload']) {
      const sock = await c.open(direction === 'download' ? servers.ports.source : servers.ports.sink);
      try {
        for (let w = 0; w < 3; w++) {
          const r =
            direction === 'download'
              ? await c.download(sock, header(size), size)
              : await c.upload(sock, header(size), chunk, size);
          expect(r.bytes, `${direction} window ${w}`).toBe(size);
          expect(r.ops, `${direction} window ${w}`).toBeGreaterThanOrEqual(Math.ceil(size / chunk.length));
        }
      } finally {
        await c.close(sock);
      }
    }
  });
});

describe('medianInterval', () => {
  it('brackets the median by the order statistics of a 95 % interval', () => {
    const ranks = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    // Ranks from the binomial(n, 1/2) tables: n = 6 -> 1st/6th, 15 -> 4th/12th, 31 -> 10th/22nd.
    expect(medianInterval(ranks(6))).toEqual([1, 6]);
    expect(medianInterval(ranks(15).reverse())).toEqual([4, 12]);
    expect(medianInterval(ranks(31))).toEqual([10, 22]);
    // Too few rounds for 95 %, and missing rounds left out.
    expect(medianInterval(ranks(5))).toBeNull();
    expect(medianInterval([null, ...ranks(6), null])).toEqual([1, 6]);
  });
});
