// The timeout and close diagnostics_channel channels: a subscriber gets one
// message per read/write/accept/connect timeout (own timeout or deadline),
// with how late the kernel decided it, and one per close. Both engines.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { AcceptTimeoutError, connect, ConnectTimeoutError, listen, ReadTimeoutError } from '../dist/index.js';
import { ENGINES, fillBacklog, pair } from './helpers.js';

const TIMEOUT = 'kernel-timeout-socket:timeout';
const CLOSE = 'kernel-timeout-socket:close';

/** Collects the messages published on `name` while fn runs. */
async function collect(name: string, fn: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const got: Array<Record<string, unknown>> = [];
  const onMessage = (m: unknown) => got.push(m as Record<string, unknown>);
  subscribe(name, onMessage);
  try {
    await fn();
  } finally {
    unsubscribe(name, onMessage);
  }
  return got;
}

describe.each(ENGINES)('diagnostics_channel (%s engine)', (engine) => {
  it('a read timeout publishes its verdict: op, timeout, decidedAt, how late', async () => {
    const p = await pair('tcp4', {}, engine);
    let err: ReadTimeoutError | undefined;
    const got = await collect(TIMEOUT, async () => {
      err = await p.peer.read(10, { timeout: 40 }).catch((e) => e);
    });
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect(got).toHaveLength(1);
    const m = got[0]!;
    expect(m).toMatchObject({ socket: p.peer, op: 'read', timeout: 40, deadline: undefined, error: err });
    expect(m.decidedAt).toBe(err!.decidedAt);
    expect(typeof m.decidedAt).toBe('number');
    // The kernel never decides early; Date.now()'s resolution allows ~1 ms.
    expect(m.lateMs as number).toBeGreaterThan(-2);
    expect(m.lateMs as number).toBeLessThan(5000);
    expect(m.deliveredAfterMs as number).toBeGreaterThanOrEqual(0);
    await p.close();
  });

  it('a deadline verdict carries the deadline; a passed one is decided without a syscall', async () => {
    const p = await pair('tcp4', {}, engine);
    const deadline = Date.now() + 40;
    const got = await collect(TIMEOUT, async () => {
      const pending = p.peer.read().catch((e) => e);
      p.peer.setReadDeadline(deadline);
      await pending;
      await p.peer.read().catch((e) => e); // the deadline has passed now
    });
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ op: 'read', deadline });
    expect(got[0]!.lateMs as number).toBeGreaterThan(-2);
    expect(got[1]).toMatchObject({ op: 'read', deadline, timeout: 0, decidedAt: undefined, deliveredAfterMs: 0 });
    await p.close();
  });

  it('an accept timeout publishes with the server as `socket`; a deadline verdict carries the deadline', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const deadline = Date.now() + 60;
    const errors: unknown[] = [];
    const got = await collect(TIMEOUT, async () => {
      errors.push(await server.accept({ timeout: 40 }).catch((e) => e));
      server.setAcceptDeadline(deadline);
      errors.push(await server.accept().catch((e) => e));
    });
    expect(errors[0]).toBeInstanceOf(AcceptTimeoutError);
    expect(errors[1]).toBeInstanceOf(AcceptTimeoutError);
    expect(errors[1]).toMatchObject({ deadline });
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ socket: server, op: 'accept', timeout: 40, deadline: undefined, error: errors[0] });
    expect(got[1]).toMatchObject({ socket: server, op: 'accept', deadline, error: errors[1] });
    for (const m of got) {
      expect(m.lateMs as number).toBeGreaterThan(-2);
      expect(m.lateMs as number).toBeLessThan(5000);
    }
    await server.close();
  });

  it('a connect timeout publishes with no socket', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0, backlog: 1 });
    const { port } = server.address() as { port: number };
    const held = await fillBacklog(engine, '127.0.0.1', port);
    let err: unknown;
    const got = await collect(TIMEOUT, async () => {
      err = await connect({ engine, host: '127.0.0.1', port, timeout: 50 }).catch((e) => e);
    });
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ socket: undefined, op: 'connect', timeout: 50, deadline: undefined, error: err });
    expect(got[0]!.lateMs as number).toBeGreaterThan(-2);
    expect(got[0]!.lateMs as number).toBeLessThan(5000);
    for (const s of held) await s.close();
    await server.close();
  });

  it('lateMs is on the wall clock alone: a drift of the monotonic clock from it since start does not show', async () => {
    // The wall clock may be slewed or stepped (NTP, a VM's clock corrections)
    // while the monotonic one is not, so Date.now() and performance.timeOrigin
    // + performance.now() move apart over a process's life (a CI run: 4.5 ms).
    // Pin timeOrigin 1 s off, as such a drift would leave it, only larger:
    // far outside the read's real lateness (up to 12 ms measured under load),
    // so the bounds below can be wide and still see a mixed-in timeOrigin.
    const p = await pair('tcp4', {}, engine);
    const origin = performance.timeOrigin;
    Object.defineProperty(performance, 'timeOrigin', { value: origin - 1000, configurable: true });
    try {
      const got = await collect(TIMEOUT, async () => {
        await p.peer.read(10, { timeout: 20 }).catch((e) => e);
      });
      expect(got).toHaveLength(1);
      expect(got[0]!.lateMs as number).toBeGreaterThan(-2);
      expect(got[0]!.lateMs as number).toBeLessThan(500);
    } finally {
      delete (performance as { timeOrigin?: number }).timeOrigin;
      await p.close();
    }
    expect(performance.timeOrigin).toBe(origin);
  });

  it('close publishes once per socket, however often close() is called', async () => {
    const p = await pair('tcp4', {}, engine);
    const got = await collect(CLOSE, async () => {
      await p.client.close();
      await p.client.close();
    });
    expect(got).toEqual([{ socket: p.client }]);
    await p.close();
  });
});
