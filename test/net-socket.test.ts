// KernelSocketStream as a net.Socket: createConnection() in net's shapes,
// the connect event order and state, addresses and byte counts, setNoDelay /
// setKeepAlive as the kernel reads them back, net's idle 'timeout' event,
// destroySoon, 'close' with hadError, and the reply timeout of pooled
// connections. Real sockets against node:net servers on loopback and a Unix
// path.
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnection, KernelSocketStream, ReadTimeoutError, type KernelSocket } from '../dist/index.js';
import { ENGINES, HAS_PROC, openFds, PROC_ONLY, tempDir } from './helpers.js';

type Peer = { server: net.Server; sockets: net.Socket[]; target: { port: number; host: string } | { path: string } };

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A node:net server that hands each connection to `onConnection`. */
async function peer(where: 'tcp4' | 'tcp6' | 'unix', onConnection: (s: net.Socket) => void = () => {}): Promise<Peer> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onConnection(s);
  });
  let target: Peer['target'];
  if (where === 'unix') {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'peer.sock');
    server.listen(path);
    target = { path };
  } else {
    const host = where === 'tcp4' ? '127.0.0.1' : '::1';
    server.listen(0, host);
    await once(server, 'listening');
    target = { host, port: (server.address() as net.AddressInfo).port };
  }
  if (!server.listening) await once(server, 'listening');
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { server, sockets, target };
}

function track(s: KernelSocketStream): KernelSocketStream {
  cleanups.push(() => {
    s.destroy();
  });
  return s;
}

const echo = (s: net.Socket) => s.pipe(s);

describe('createConnection: net.Socket shape', () => {
  it.each(['tcp4', 'tcp6', 'unix'] as const)('%s: returns at once, then connect and ready in order', async (where) => {
    const p = await peer(where, echo);
    const events: string[] = [];
    const s = track(
      'path' in p.target
        ? createConnection(p.target.path, () => events.push('listener'))
        : createConnection(p.target.port, p.target.host, () => events.push('listener')),
    );
    expect(s.connecting).toBe(true);
    expect(s.pending).toBe(true);
    expect(s.readyState).toBe('opening');
    expect(s.remoteAddress).toBeUndefined();
    s.on('connect', () => events.push(`connect connecting=${s.connecting}`));
    s.on('ready', () => events.push('ready'));
    // Written before the connect: sent once connected, as net does.
    s.write('hello');
    await once(s, 'ready');
    expect(events).toEqual(['listener', 'connect connecting=false', 'ready']);
    expect(s.pending).toBe(false);
    expect(s.readyState).toBe('open');
    const [data] = (await once(s, 'data')) as [Buffer];
    expect(String(data)).toBe('hello');
    expect(s.bytesRead).toBe(5);
    expect(s.bytesWritten).toBe(5);
    if ('path' in p.target) {
      expect(s.remoteAddress).toBeUndefined();
      expect(s.address()).toEqual({});
    } else {
      const server = p.sockets[0]!;
      expect(s.remoteAddress).toBe(p.target.host);
      expect(s.remotePort).toBe(p.target.port);
      expect(s.remoteFamily).toBe(where === 'tcp4' ? 'IPv4' : 'IPv6');
      expect(s.localPort).toBe(server.remotePort);
      expect(s.localAddress).toBe(server.remoteAddress);
      expect(s.address()).toEqual({ address: server.remoteAddress, port: server.remotePort, family: s.remoteFamily });
    }
  });

  it('a refused connect: error (ECONNREFUSED) then close with hadError, never connect', async () => {
    const p = await peer('tcp4');
    const { port } = p.target as { port: number };
    await new Promise<void>((r) => p.server.close(() => r()));
    const s = track(createConnection({ host: '127.0.0.1', port }));
    const events: string[] = [];
    s.on('connect', () => events.push('connect'));
    s.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code}`));
    const hadError = await new Promise<boolean>((r) => s.on('close', r));
    expect(hadError).toBe(true);
    expect(events).toEqual(['error ECONNREFUSED']);
    expect(s.readyState).toBe('closed');
  });

  it('bad arguments throw synchronously with Node codes', () => {
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => createConnection({ host: '127.0.0.1', port: 70000 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => createConnection(undefined as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => createConnection({ port: 1, replyTimeout: -5 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => createConnection(1, '127.0.0.1', 'cb' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => createConnection({ port: 1, signal: {} as never })).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => createConnection({ port: 1, timeout: -1 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => createConnection({ path: '/x', host: 'h' })).toThrow(code('ERR_INVALID_ARG_VALUE'));
    const s = new KernelSocketStream();
    expect(() => s.setTimeout(-1)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => s.setTimeout('1' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    s.destroy();
  });

  it('setNoDelay and setKeepAlive before the connect reach the kernel once connected', async () => {
    const p = await peer('tcp4');
    const s = track(new KernelSocketStream());
    s.setNoDelay(true).setKeepAlive(true, 7000);
    s.connect((p.target as { port: number }).port, '127.0.0.1');
    await once(s, 'connect');
    const sock = s.socket as KernelSocket;
    expect(sock.tcpOptions()).toMatchObject({ noDelay: true, keepAlive: { enabled: true, idle: 7000 } });
    s.setNoDelay(false).setKeepAlive(false);
    expect(sock.tcpOptions()).toMatchObject({ noDelay: false, keepAlive: { enabled: false } });
  });

  it("bufferSize reads as net.Socket's; autoSelectFamilyAttemptedAddresses names the address connected to", async () => {
    const p = await peer('tcp4');
    const { port } = p.target as { port: number };
    const ours = track(createConnection(port, '127.0.0.1'));
    const theirs = net.connect(port, '127.0.0.1');
    cleanups.push(() => void theirs.destroy());
    expect(new KernelSocketStream().autoSelectFamilyAttemptedAddresses).toEqual([]);
    await Promise.all([once(ours, 'connect'), once(theirs, 'connect')]);
    expect(ours.autoSelectFamilyAttemptedAddresses).toEqual([`127.0.0.1:${port}`]);
    expect(ours.bufferSize).toBe(theirs.bufferSize);
    // A write the kernel cannot take at once stays queued: counted by both the same way.
    const big = Buffer.alloc(64 << 20);
    ours.write(big);
    theirs.write(big);
    expect(ours.bufferSize).toBe(ours.writableLength);
    expect(theirs.bufferSize).toBeGreaterThan(0);
    expect(ours.bufferSize).toBeGreaterThan(0);
  });

  it.each(ENGINES)("%s: a peer's end closes a stream nobody reads, as net's", async (engine) => {
    const p = await peer('tcp4', (s) => s.end());
    const { port } = p.target as { port: number };
    const run = async (sock: net.Socket | KernelSocketStream) => {
      const events: string[] = [];
      for (const e of ['connect', 'end', 'finish', 'close']) sock.on(e, () => events.push(e));
      // No 'data' listener, no read(), no resume(): only the peer's FIN can end it.
      await once(sock, 'close');
      return { events, destroyed: sock.destroyed };
    };
    const theirs = await run(net.connect(port, '127.0.0.1'));
    const ours = await run(track(createConnection({ port, host: '127.0.0.1', engine })));
    expect(theirs).toEqual({ events: ['connect', 'end', 'finish', 'close'], destroyed: true });
    expect(ours).toEqual(theirs);
  });

  it('on a Unix path setNoDelay and setKeepAlive are no-ops, as net', async () => {
    const p = await peer('unix');
    const s = track(createConnection((p.target as { path: string }).path));
    await once(s, 'connect');
    expect(s.setNoDelay(true).setKeepAlive(true, 1000)).toBe(s);
  });

  it("setTimeout: 'timeout' after idle time, the socket stays open; activity restarts it; 0 stops it", async () => {
    const p = await peer('tcp4', echo);
    const s = track(createConnection({ ...(p.target as { port: number; host: string }), timeout: 150 }));
    expect(s.timeout).toBe(150);
    await once(s, 'connect');
    const t0 = performance.now();
    await once(s, 'timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(s.destroyed).toBe(false);
    s.write('x');
    await once(s, 'data');
    let fired = 0;
    s.setTimeout(100, () => fired++);
    await once(s, 'timeout');
    expect(fired).toBe(1);
    s.setTimeout(0);
    expect(s.timeout).toBe(0);
    s.write('still open');
    expect(String((await once(s, 'data'))[0])).toBe('still open');
  });

  it("destroySoon: queued writes go out, then FIN, then 'close' without error", async () => {
    const got: Buffer[] = [];
    let ended!: () => void;
    const peerEnded = new Promise<void>((r) => (ended = r));
    const p = await peer('tcp4', (c) => {
      c.on('data', (d: Buffer) => got.push(d));
      c.on('end', ended);
    });
    const s = track(createConnection((p.target as { port: number }).port, '127.0.0.1'));
    s.write('a'.repeat(100_000));
    s.destroySoon();
    const [hadError] = (await once(s, 'close')) as [boolean];
    expect(hadError).toBe(false);
    await peerEnded;
    expect(Buffer.concat(got).length).toBe(100_000);
  });

  it.skipIf(!HAS_PROC).each(['tcp4', 'unix'] as const)(
    `%s: destroy() while connecting: no connect event, close without error, no fd left open ${PROC_ONLY}`,
    async (where) => {
      const p = await peer(where);
      const before = openFds();
      for (let i = 0; i < 20; i++) {
        // A Unix connect finishes at once, a TCP one on a thread: both races.
        const s = createConnection({ ...p.target });
        const events: string[] = [];
        s.on('connect', () => events.push('connect'));
        s.on('error', (e) => events.push(`error ${e.message}`));
        s.write('lost'); // its callback gets an error, no throw
        const closed = new Promise<boolean>((r) => s.on('close', r));
        s.destroy();
        expect(await closed).toBe(false);
        expect(events).toEqual([]);
      }
      // The sockets connected in the background are closed as their connect lands.
      for (let i = 0; i < 50 && openFds() > before; i++) await new Promise((r) => setImmediate(r));
      expect(openFds()).toBeLessThanOrEqual(before);
    },
  );

  it("the peer ends: 'data' (setEncoding strings), 'end', our FIN, then 'close' without error", async () => {
    let peerEnded!: () => void;
    const finSeen = new Promise<void>((r) => (peerEnded = r));
    const p = await peer('tcp4', (c) => {
      c.on('end', peerEnded);
      c.end('bye');
    });
    const s = track(createConnection((p.target as { port: number }).port, '127.0.0.1'));
    s.setEncoding('utf8');
    const events: string[] = [];
    s.on('data', (d: unknown) => events.push(`data ${typeof d} ${String(d)}`));
    s.on('end', () => events.push('end'));
    const hadError = await new Promise<boolean>((r) => s.on('close', r));
    events.push(`close ${hadError}`);
    expect(events).toEqual(['data string bye', 'end', 'close false']);
    await finSeen; // allowHalfOpen false: our side ended too
  });

  it('destroy(err) reports err and closes with hadError', async () => {
    const p = await peer('tcp4');
    const s = track(createConnection((p.target as { port: number }).port, '127.0.0.1'));
    await once(s, 'connect');
    const errors: Error[] = [];
    s.on('error', (e) => errors.push(e));
    const closed = new Promise<boolean>((r) => s.on('close', r));
    s.destroy(new Error('boom'));
    const hadError = await closed;
    expect(hadError).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    expect((s.socket as KernelSocket).closed).toBe(true);
  });
});

describe.each(ENGINES)('replyTimeout: the pooled-connection policy (%s engine)', (engine) => {
  const REPLY = 200;

  it('an idle connection with nothing owed outlives several reply timeouts and still works', async () => {
    const p = await peer('tcp4', echo);
    const s = track(createConnection({ ...(p.target as { port: number; host: string }), replyTimeout: REPLY, engine }));
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d)); // reading all along, as a client
    await once(s, 'connect');
    // The idle time under test: 4 reply timeouts with a read pending.
    s.setTimeout(REPLY * 4);
    await once(s, 'timeout');
    expect(s.destroyed).toBe(false);
    s.write('ping');
    await once(s, 'data');
    expect(String(Buffer.concat(got))).toBe('ping');
  });

  it('a reply that does not start within replyTimeout of the write: ReadTimeoutError, decided by the kernel', async () => {
    const p = await peer('tcp4'); // reads, never answers
    const s = track(createConnection({ ...(p.target as { port: number; host: string }), replyTimeout: REPLY, engine }));
    s.resume(); // a client always reads
    await once(s, 'connect');
    // Idle first, so the read pending at the write began before it.
    s.setTimeout(REPLY * 1.5);
    await once(s, 'timeout');
    let wrote = 0;
    s.write('request', () => (wrote = performance.now()));
    const [err] = (await once(s, 'error')) as [ReadTimeoutError];
    const waited = performance.now() - wrote;
    expect(err).toBeInstanceOf(ReadTimeoutError);
    expect(err.code).toBe('ERR_SOCKET_READ_TIMEOUT');
    expect(err.timeout).toBe(REPLY);
    expect(err.syscall).toBeDefined(); // a kernel decision, not a deadline check in JavaScript
    expect(err.decidedAt).toBeTypeOf('number');
    expect(waited).toBeGreaterThanOrEqual(REPLY - 5);
    expect(waited).toBeLessThan(REPLY + 5000); // wide: a loaded machine
    expect(s.destroyed).toBe(true);
  });

  it('replies that start in time, each later than half the timeout, never time out', async () => {
    // The peer's timer runs on this loaded event loop: 1 s with replies at
    // 600 ms leaves 400 ms for it to fire late (200 / 120 ms once did not),
    // and four replies still outlast one timeout counted from the first write.
    const timeout = 1000;
    const p = await peer('tcp4', (c) => c.on('data', (d) => setTimeout(() => c.write(d), timeout * 0.6)));
    const s = track(createConnection({ ...(p.target as { port: number; host: string }), replyTimeout: timeout, engine }));
    // once() rejects on 'error': a timeout fails the test at once.
    for (let i = 0; i < 4; i++) {
      s.write(`r${i}`);
      expect(String((await once(s, 'data'))[0])).toBe(`r${i}`);
    }
  });

  it('a reply that began while the write was still going out pays it: the connection then idles safely', async () => {
    let server!: net.Socket;
    const p = await peer('tcp4', (c) => {
      server = c;
      c.pause(); // read nothing until the client has seen the early reply
      c.write('early');
    });
    const s = track(createConnection({ ...(p.target as { port: number; host: string }), replyTimeout: REPLY, engine }));
    s.on('data', () => server.resume()); // the early reply came: let the upload finish
    const errors: Error[] = [];
    s.on('error', (e) => errors.push(e));
    // Far more than loopback buffers hold: it completes only after the reply began.
    const done = new Promise<void>((r) => s.write(Buffer.alloc(32 * 1024 * 1024), () => r()));
    await done;
    expect(s.bytesRead).toBe(5);
    s.setTimeout(REPLY * 3);
    await once(s, 'timeout');
    expect(errors).toEqual([]);
    expect(s.destroyed).toBe(false);
  });

  it('without replyTimeout the socket read timeout still ends the stream on any wait (toStream, as before)', async () => {
    const p = await peer('tcp4');
    const s = track(createConnection({ ...(p.target as { port: number; host: string }), readTimeout: REPLY, engine }));
    s.resume();
    const [err] = (await once(s, 'error')) as [ReadTimeoutError];
    expect(err).toBeInstanceOf(ReadTimeoutError);
  });
});
