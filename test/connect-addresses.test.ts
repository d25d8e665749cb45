// Every address, as net: createConnection() beside net.createConnection()
// in the same run, against real listeners on 127.0.0.1 and ::1, with a
// lookup that answers in either order. Same events with the same arguments,
// same outcome, same errors.
import { once } from 'node:events';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ENGINES, fillBacklog, tempDir } from './helpers.js';
import { connect, createConnection, KernelSocketStream, listen } from '../dist/index.js';

type Address = { address: string; family: 4 | 6 };
const V6: Address = { address: '::1', family: 6 };
const V4: Address = { address: '127.0.0.1', family: 4 };
const EVENTS = ['lookup', 'connectionAttempt', 'connectionAttemptFailed', 'connectionAttemptTimeout', 'connect'];

/** A dns.lookup-shaped function answering `list` on a later tick, as dns does. */
function lookupOf(list: Address[]): LookupFunction {
  return (_host, o, cb) => {
    setImmediate(() => (o.all ? cb(null, list) : cb(null, list[0]!.address, list[0]!.family)));
  };
}

interface Outcome {
  events: unknown[][];
  error?: Record<string, unknown>;
  /** autoSelectFamilyAttemptedAddresses once connected. */
  attempted?: string[];
}

function describeError(e: unknown): Record<string, unknown> {
  const err = e as {
    code?: string;
    errno?: number;
    syscall?: string;
    message: string;
    address?: string;
    port?: number;
    errors?: unknown[];
  };
  return {
    kind: e instanceof AggregateError ? 'AggregateError' : 'Error',
    code: err.code,
    errno: err.errno,
    syscall: err.syscall,
    message: err.message,
    address: err.address,
    port: err.port,
    errors: err.errors?.map(describeError),
  };
}

/** Connects `sock`, recording net's events until 'connect' or 'close'. */
async function record(sock: net.Socket | ReturnType<typeof createConnection>): Promise<Outcome> {
  const out: Outcome = { events: [] };
  for (const name of EVENTS) {
    sock.on(name, (...args: unknown[]) =>
      out.events.push([name, ...args.map((a) => (a instanceof Error ? (a as { code?: string }).code : a))]),
    );
  }
  sock.on('error', (e) => {
    out.error = describeError(e);
  });
  // (events.once would reject on 'error'.)
  await new Promise<void>((resolve) => {
    sock.once('connect', () => {
      out.attempted = sock.autoSelectFamilyAttemptedAddresses;
      resolve();
    });
    sock.once('close', () => resolve());
  });
  sock.destroy();
  return out;
}

/** A port free on both loopbacks: listeners are then put on it as each case needs. */
async function bothFree(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const a = net.createServer().listen(0, '127.0.0.1');
    await once(a, 'listening');
    const { port } = a.address() as net.AddressInfo;
    a.close();
    const b = net.createServer().listen(port, '::1');
    const ok = await Promise.race([once(b, 'listening').then(() => true), once(b, 'error').then(() => false)]);
    if (ok) {
      b.close();
      return port;
    }
  }
  throw new Error('no port free on both 127.0.0.1 and ::1');
}

describe.each(ENGINES)('connecting to every address, as net (%s engine)', (engine) => {
  const both = async (port: number, options: Record<string, unknown>) => {
    const base = { host: 'dual.test', port, ...options };
    const theirs = await record(net.createConnection(base as net.NetConnectOpts));
    // connectTimeout (this package's) bounds a broken build's hang.
    const ours = await record(createConnection({ ...base, engine, connectTimeout: 10_000 }));
    return { theirs, ours };
  };

  it.each([
    ['::1 first, listening on 127.0.0.1', [V6, V4], V4],
    ['127.0.0.1 first, listening on 127.0.0.1', [V4, V6], V4],
    ['127.0.0.1 first, listening on ::1', [V4, V6], V6],
  ] as const)('%s: the same attempts and events as net', async (_name, order, at) => {
    const port = await bothFree();
    const server = await listen({ engine, host: at.address, port });
    const { theirs, ours } = await both(port, { lookup: lookupOf([...order]) });
    expect(theirs.error).toBeUndefined();
    expect(ours).toEqual(theirs);
    expect(ours.events.at(-1)).toEqual(['connect']);
    // Every address tried, in order: the refused one too.
    const tried = order[0] === at ? [at] : [...order];
    expect(ours.attempted).toEqual(tried.map((a) => `${a.address}:${port}`));
    await server.close();
  });

  it('a Unix path nobody listens on: the same attempt events and error as net', async () => {
    const t = tempDir();
    const path = join(t.dir, 'nobody.sock');
    // Fresh sockets, so listeners are on before connect(): net emits a pipe's 'connectionAttempt' synchronously.
    const run = async (sock: net.Socket | KernelSocketStream, options: object) => {
      const recording = record(sock);
      sock.connect({ path, ...options });
      return recording;
    };
    const theirs = await run(new net.Socket(), {});
    const ours = await run(new KernelSocketStream(), { engine });
    t.cleanup();
    expect(theirs.events).toEqual([
      ['connectionAttempt', path, undefined, undefined],
      ['connectionAttemptFailed', path, undefined, undefined, 'ENOENT'],
    ]);
    expect(ours).toEqual(theirs);
  });

  it('nothing listening: the same AggregateError as net, each error with address and port', async () => {
    const port = await bothFree();
    const { theirs, ours } = await both(port, { lookup: lookupOf([V6, V4]) });
    expect(theirs.error).toMatchObject({ kind: 'AggregateError', code: 'ECONNREFUSED' });
    expect(ours).toEqual(theirs);
    // connect() rejects with it too.
    const err = await connect({ engine, host: 'dual.test', port, lookup: lookupOf([V6, V4]) }).catch((e) => e);
    expect(describeError(err)).toEqual(theirs.error);
  });

  it('one address (autoSelectFamily off, or an IP): net’s single error, `connect ECONNREFUSED host:port`', async () => {
    const port = await bothFree();
    for (const options of [{ lookup: lookupOf([V6, V4]), autoSelectFamily: false }, { host: '127.0.0.1' }]) {
      const { theirs, ours } = await both(port, options);
      expect(theirs.error).toMatchObject({ code: 'ECONNREFUSED', port });
      expect(ours).toEqual(theirs);
    }
  });

  it('an address that does not answer ends at autoSelectFamilyAttemptTimeout (in the kernel); the next one connects', async () => {
    const port = await bothFree();
    // ::1 with a full accept queue drops SYNs: a connect there hangs.
    const silent = await listen({ engine, host: '::1', port, backlog: 1 });
    const held = await fillBacklog(engine, '::1', port);
    const server = await listen({ engine, host: '127.0.0.1', port });
    const { theirs, ours } = await both(port, { lookup: lookupOf([V6, V4]), autoSelectFamilyAttemptTimeout: 100 });
    expect(theirs.events.map((e) => e[0])).toContain('connectionAttemptTimeout');
    expect(ours).toEqual(theirs);
    await Promise.all([...held.map((h) => h.close()), silent.close(), server.close()]);
  });

  it('localAddress and localPort bind the connecting socket as net does; a bind failure is net’s error', async () => {
    const server = await listen({ engine, host: '127.0.0.1', port: 0 });
    const { port } = server.address() as { port: number };
    const taken = await listen({ engine, host: '127.0.0.1', port: 0 });
    const takenPort = (taken.address() as { port: number }).port;
    const seenBy = async (options: Record<string, unknown>) => {
      const accepted = server.accept({ timeout: 5000 });
      const theirs = net.createConnection({ host: '127.0.0.1', port, ...options } as net.NetConnectOpts);
      await once(theirs, 'connect');
      const theirPeer = await accepted;
      const ours = await connect({ engine, host: '127.0.0.1', port, timeout: 5000, ...options });
      const ourPeer = await server.accept({ timeout: 5000 });
      const seen = [theirPeer.remoteAddress(), ourPeer.remoteAddress()] as { address: string; port: number }[];
      theirs.destroy();
      await Promise.all([ours.close(), theirPeer.close(), ourPeer.close()]);
      return seen;
    };
    // 127.0.0.0/8 is all loopback on Linux.
    const [a, b] = await seenBy({ localAddress: '127.0.0.2' });
    expect([a!.address, b!.address]).toEqual(['127.0.0.2', '127.0.0.2']);
    const [, ours] = await seenBy({ localPort: 0, localAddress: '127.0.0.3' });
    expect(ours!.address).toBe('127.0.0.3');
    for (const options of [{ localPort: takenPort }, { localPort: takenPort, localAddress: '127.0.0.1' }]) {
      const theirs = await record(net.createConnection({ host: '127.0.0.1', port, ...options }));
      const err = await connect({ engine, host: '127.0.0.1', port, ...options }).catch((e) => e);
      expect(theirs.error).toMatchObject({ code: 'EADDRINUSE' });
      expect(describeError(err)).toEqual(theirs.error);
      expect(err.syscall).toBe('bind');
    }
    await Promise.all([server.close(), taken.close()]);
  });

  it('options net accepts and this package does not offer are refused, not ignored', () => {
    for (const option of [{ fd: 3 }, { onread: {} }, { readable: false }, { blockList: {} }]) {
      expect(() => connect({ host: '127.0.0.1', port: 1, ...option } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    }
    expect(() => connect({ host: 'x.test', port: 1, hints: 1 << 20 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => connect({ host: 'x.test', port: 1, autoSelectFamilyAttemptTimeout: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
  });
});
