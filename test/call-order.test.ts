// Ops of one lane settle in call order, even when an earlier op finished on
// a thread while JavaScript was busy and a later one then finished at once
// on the fast path (README: "served one at a time in call order"). The JS
// thread spins (never yielding) until /proc shows the earlier read has taken
// its bytes from the kernel and the owned threads are asleep again; only
// then does it start the later read, which finds its bytes waiting.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINES, HAS_PROC, PROC_ONLY, pair } from './helpers.js';
import { blockedIn } from './kernel-wait.js';

/** Bytes waiting in the receive queue of the TCP socket bound to localPort (IPv4), from /proc/net/tcp. */
function rxQueue(localPort: number): number | undefined {
  const port = localPort.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${port}`) && f[3] === '01') return Number.parseInt(f[4]!.split(':')[1]!, 16);
  }
  return undefined;
}

/** True when every thread of this process but the JS thread is asleep (S or D). */
function othersAsleep(): boolean {
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue;
    let stat = '';
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // exited
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    if (state !== 'S' && state !== 'D') return false;
  }
  return true;
}

/** Spins the JS thread (no await: the event loop cannot run) until done() or limitMs. */
function spinUntil(done: () => boolean, limitMs: number): boolean {
  const end = Date.now() + limitMs;
  while (Date.now() < end) if (done()) return true;
  return false;
}

describe.each(ENGINES)('call order (%s engine)', (engine) => {
  it.skipIf(!HAS_PROC)(`a read that finished on a thread settles before a later fast-path read ${PROC_ONLY}`, async () => {
    const p = await pair('tcp4', {}, engine);
    const port = (p.client.address() as { port: number }).port;
    const order: string[] = [];
    // threads: p1 blocks in recv on an owned thread. loop: p1 waits on the
    // event loop, which the spin below stops, so its deadline passes and the
    // deadline thread's one non-blocking call reads it.
    const p1 = p.client.readExactly(10, engine === 'loop' ? { timeout: 50 } : {}).then((b) => {
      order.push(`p1 ${b.length}`);
    });
    if (engine === 'threads') await blockedIn('recvfrom');
    await p.peer.write(Buffer.alloc(20, 7), { timeout: 5000 });
    // The thread took p1's 10 bytes; 10 wait for p2. Then its thread sleeps.
    expect(spinUntil(() => rxQueue(port) === 10, 5000)).toBe(true);
    spinUntil(othersAsleep, 2000); // best effort: the thread may still be releasing the lane
    const p2 = p.client.read(100).then((b) => {
      order.push(`p2 ${b?.length}`);
    });
    await Promise.all([p1, p2]);
    expect(order).toEqual(['p1 10', 'p2 10']);
    await p.close();
  });

  it('an aborted queued write settles at once, out of turn; the other writes in call order', async () => {
    const p = await pair('unix', {}, engine);
    const order: string[] = [];
    const big = Buffer.alloc(8 << 20); // more than the socket buffers: it waits
    const ac = new AbortController();
    const w1 = p.client.write(big, { timeout: 10_000 }).then(() => order.push('w1'));
    const w2 = p.client.write(Buffer.from('x'), { signal: ac.signal }).catch((e) => order.push(e.name));
    const w3 = p.client.write(Buffer.from('y'), { timeout: 10_000 }).then(() => order.push('w3'));
    ac.abort(); // w2 was queued: removed, rejected now, ahead of w1
    const got = await p.peer.readExactly(big.length + 1, { timeout: 10_000 });
    await Promise.all([w1, w2, w3]);
    expect(order).toEqual(['AbortError', 'w1', 'w3']);
    expect(got.at(-1)).toBe('y'.charCodeAt(0));
    await p.close();
  });
});
