// A read's memory follows the bytes that came, not the size asked for, and
// running out of memory is a typed error, never a crash, on reads and on
// writes: children under a real address-space limit (RLIMIT_AS: bash's
// ulimit -v, util-linux prlimit).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ENGINES } from './helpers.js';

const fixture = join(__dirname, 'fixtures', 'big-reads.js');
const writeFixture = join(__dirname, 'fixtures', 'big-write.js');

describe.each(ENGINES)('read memory (%s engine)', (engine) => {
  it('60 pending read(MAX_READ_SIZE) under ulimit -v 3000000 hold no 64 MiB each', () => {
    const r = spawnSync('bash', ['-c', `ulimit -v 3000000; exec "${process.execPath}" "${fixture}" idle ${engine}`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  });

  it('readExactly that cannot grow its buffer fails with ENOMEM, the process lives', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [fixture, 'grow', engine], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await lines.next()).value as string);
    const { port } = await next();
    const peer = netConnect({ host: '127.0.0.1', port });
    peer.on('error', () => {}); // the child may close first
    const { vmKb } = await next();
    // 32 MiB of address space left: less than the 64 MiB frame needs.
    const lim = spawnSync('prlimit', [`--pid=${child.pid}`, `--as=${(vmKb + 32 * 1024) * 1024}`], { encoding: 'utf8' });
    expect(lim.stderr).toBe('');
    child.stdin.end('go\n');
    // Send past what fits, in pieces; the child's verdict ends it.
    const verdict = next();
    const chunk = Buffer.alloc(1 << 20, 7);
    let sent = 0;
    let done = false;
    verdict.finally(() => {
      done = true;
    });
    while (!done && sent < 80) {
      if (!peer.write(chunk)) await Promise.race([once(peer, 'drain').catch(() => {}), verdict]);
      sent++;
    }
    expect(await verdict).toMatchObject({ name: 'SocketError', code: 'ENOMEM', syscall: 'recv' });
    peer.destroy();
    const [status] = await exited;
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe.each(ENGINES)('write memory (%s engine)', (engine) => {
  // A write copies the part the kernel did not take at once (the caller may
  // reuse its Buffer when write() returns): under the limit that copy fails.
  it('a write whose unsent rest cannot be copied fails with ENOMEM and counts what the kernel took; resuming there, the peer gets every byte once, in order', {
    timeout: 60_000,
  }, async () => {
    const child = spawn(process.execPath, [writeFixture, engine], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const line = await lines.next();
      if (line.done) throw new Error(`the child ended early; stderr: ${stderr}`);
      return JSON.parse(line.value as string);
    };
    const { vmKb } = await next();
    // 64 MiB of address space left: far less than the 256 MiB write's rest.
    // The soft limit only, so it can be lifted again for the resumed writes.
    const hard = spawnSync('prlimit', [`--pid=${child.pid}`, '--as', '--raw', '--noheadings', '--output=HARD'], {
      encoding: 'utf8',
    });
    expect(hard.stderr).toBe('');
    const lim = spawnSync('prlimit', [`--pid=${child.pid}`, `--as=${(vmKb + 64 * 1024) * 1024}:`], { encoding: 'utf8' });
    expect(lim.stderr).toBe('');
    child.stdin.write('go\n');
    const failed = await next();
    expect(failed).toMatchObject({ name: 'SocketError', code: 'ENOMEM', syscall: 'send' });
    // The kernel took a first part (the socket buffers' room), not all of it.
    expect(failed.bytesWritten).toBeGreaterThan(0);
    expect(failed.bytesWritten).toBeLessThan(256 * 1024 * 1024);
    const lift = spawnSync('prlimit', [`--pid=${child.pid}`, `--as=${hard.stdout.trim()}:`], { encoding: 'utf8' });
    expect(lift.stderr).toBe('');
    child.stdin.end('go\n');
    const peer = await next();
    // Resumed at bytesWritten: had that count been short, the peer would see
    // bytes twice (out of order); had it been long, some would be missing.
    expect(peer).toEqual({ received: 256 * 1024 * 1024, inOrder: true, markerLast: true });
    const [status] = await exited;
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});
