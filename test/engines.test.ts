// What the loop engine promises beyond the shared behaviour suite, and what
// both engines promise under a stalled event loop:
// - scale: pending reads on 'loop' hold no thread each (counted in
//   /proc/self/task, never timed);
// - progress: a big write and a big readExactly finish while JavaScript is
//   stalled past their timeout, against a peer in a child process that keeps
//   up, with either engine (no op's progress waits on the event loop).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listen, type KernelServer } from '../dist/index.js';
import { ENGINES, HAS_PROC, PROC_ONLY } from './helpers.js';
import { runChild } from './stress-helpers.js';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // a synchronous stall of the event loop
  }
}

const TIMEOUT_MS = 2000;
const STALL_MS = 3000; // past the timeout: only progress off the JS thread can finish in time

async function bulkPeer(server: KernelServer, mode: 'sink' | 'source') {
  const { port } = server.address() as { port: number };
  const child = spawn(process.execPath, [fixture('bulk-peer.js'), String(port), mode, String(BULK)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = once(child, 'exit');
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const peer = await server.accept({ timeout: 10_000 });
  return {
    peer,
    done: async () => {
      const [code] = await exited;
      clearTimeout(kill);
      return { code: code as number, out };
    },
  };
}

// The most the kernel lets one TCP socket's send and receive buffers grow to
// (autotuning's caps, the third field of tcp_wmem and tcp_rmem): every byte
// of a transfer beyond their sum can only move while the op is making calls.
const bufferCap = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
const MiB = 1024 * 1024;
const BUFFERS = process.platform === 'linux' ? bufferCap('tcp_wmem') + bufferCap('tcp_rmem') : 0;
const BULK = Math.max(16 * MiB, Math.ceil(BUFFERS / MiB + 1) * MiB);

describe('the stalled transfers', () => {
  it.skipIf(process.platform !== 'linux')('are bigger than both socket buffers can hold', () => {
    expect(BULK).toBeGreaterThan(BUFFERS);
  });
});

describe.each(ENGINES)('a stalled event loop, %s engine', (engine) => {
  it('a write bigger than the send buffer completes while JavaScript is stalled past its timeout', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { peer, done } = await bulkPeer(server, 'sink');
    const data = Buffer.alloc(BULK, 0x5a);
    const writing = peer.write(data, { timeout: TIMEOUT_MS }).then(
      () => 'ok',
      (e) => e,
    );
    busy(STALL_MS);
    expect(await writing).toBe('ok');
    await peer.end();
    const r = await done();
    expect(r.code).toBe(0);
    expect(Number(r.out.trim())).toBe(BULK);
    await Promise.all([peer.close(), server.close()]);
  }, 30_000);

  it('a readExactly bigger than the receive buffer completes while JavaScript is stalled past its timeout', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { peer, done } = await bulkPeer(server, 'source');
    const reading = peer.readExactly(BULK, { timeout: TIMEOUT_MS }).catch((e) => e);
    void peer.write('g'); // the fast path puts it in the kernel on this tick
    busy(STALL_MS);
    const got = await reading;
    expect(got).toBeInstanceOf(Buffer);
    expect(got.length).toBe(BULK);
    let wrong = -1;
    for (let i = 0; i < BULK && wrong < 0; i++) if (got[i] !== ((i * 31 + 7) & 255)) wrong = i;
    expect(wrong).toBe(-1);
    expect(await peer.read(16, { timeout: 5000 })).toBeNull();
    await peer.end();
    expect((await done()).code).toBe(0);
    await Promise.all([peer.close(), server.close()]);
  }, 30_000);
});

describe('scale', () => {
  // The largest N this process's fd limit allows, up to 19 000 (the issue's
  // figure on a 20 000-fd limit), leaving room for Node's own fds.
  const limit = Number(require('node:child_process').execSync('ulimit -n', { shell: '/bin/bash' }).toString());
  const N = Math.max(100, Math.min(19_000, limit - 600));

  it.skipIf(!HAS_PROC)(
    `${N} pending reads on 'loop' add no thread (one deadline thread serves them all) ${PROC_ONLY}`,
    { timeout: 180_000 },
    async () => {
      const peers = spawn(process.execPath, [fixture('accept-all.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
      try {
        const [line] = (await once(peers.stdout, 'data')) as [Buffer];
        const port = Number(line.toString().trim());
        const r = await runChild(process.execPath, [fixture('loop-scale.js'), 'loop', String(N), String(port)], 150_000);
        expect(r.killedByTimer).toBe(false);
        expect(r.stderr).toBe('');
        const report = JSON.parse(r.stdout) as { n: number; before: number; during: number; pending: number };
        expect(report.pending).toBe(N);
        // The threads engine would add N threads here.
        expect(report.during - report.before).toBeLessThanOrEqual(1);
        expect(report.during).toBeLessThanOrEqual(24);
      } finally {
        peers.stdin.end();
        peers.kill();
      }
    },
  );
});
