// Bad input, table-driven: each invalid call gets its documented error, as
// a synchronous throw (argument validation, Node's ERR_INVALID_ARG_TYPE /
// ERR_OUT_OF_RANGE / ERR_INVALID_ARG_VALUE) or as a rejection (anything the
// kernel or the socket's state decides), never a crash or a hang. The table
// runs against one live pair with bytes queued both ways; afterwards exactly
// those bytes arrive, so no invalid call consumed or sent anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  connect,
  KernelServer,
  KernelSocket,
  listen,
  MAX_READ_SIZE,
  ReadTimeoutError,
  SocketClosedError,
  SocketError,
} from '../dist/index.js';
import { pair, pattern, tempDir } from './helpers.js';
import { addon, within } from './stress-helpers.js';

interface Ctx {
  sock: KernelSocket;
  server: KernelServer;
  closedSock: KernelSocket;
  closedServer: KernelServer;
  port: number;
  freePort: number;
  dir: string;
}

type Expected = { mode: 'throw' | 'reject'; type: new (...args: never[]) => Error; code?: string };
const argType: Expected = { mode: 'throw', type: TypeError, code: 'ERR_INVALID_ARG_TYPE' };
const argValue: Expected = { mode: 'throw', type: TypeError, code: 'ERR_INVALID_ARG_VALUE' };
const range: Expected = { mode: 'throw', type: RangeError, code: 'ERR_OUT_OF_RANGE' };
const closed: Expected = { mode: 'reject', type: SocketClosedError, code: 'ERR_SOCKET_CLOSED' };
const closedSync: Expected = { mode: 'throw', type: SocketClosedError, code: 'ERR_SOCKET_CLOSED' };
const aborted: Expected = { mode: 'reject', type: AbortError, code: 'ABORT_ERR' };
const sys = (code: string): Expected => ({ mode: 'reject', type: SocketError, code });
const illegal: Expected = { mode: 'throw', type: TypeError, code: 'ERR_ILLEGAL_CONSTRUCTOR' };

function detached(): Uint8Array {
  const ab = new ArrayBuffer(16);
  const view = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] }); // moves the memory away: view is now detached
  return view;
}

const abortedSignal = () => AbortSignal.abort(new Error('stop'));
const fakeSignal = { aborted: false, addEventListener() {}, removeEventListener() {} };
const host = '127.0.0.1';
// Anything: the table is about what bad arguments do, whatever their static type.
// biome-ignore lint/suspicious/noExplicitAny: bad arguments of every type are the point here
type Any = any;
const c = connect as (o?: Any) => unknown;
const l = listen as (o?: Any) => unknown;

const TABLE: [string, (x: Ctx) => unknown, Expected][] = [
  // connect()
  ['connect()', () => c(), argType],
  ['connect(null)', () => c(null), argType],
  ['connect("host:port")', () => c('127.0.0.1:80'), argType],
  ['connect([])', () => c([]), argType],
  ['connect({}) (no port)', () => c({}), argType],
  ['port -1', () => c({ host, port: -1 }), range],
  ['port 65536', () => c({ host, port: 65536 }), range],
  ['port 1.5', () => c({ host, port: 1.5 }), range],
  ['port NaN', () => c({ host, port: NaN }), range],
  ['port "80"', () => c({ host, port: '80' }), argType],
  ['host ""', (x) => c({ host: '', port: x.port }), argValue],
  ['host 42', (x) => c({ host: 42, port: x.port }), argType],
  ['host with a NUL byte', (x) => c({ host: 'a\0b', port: x.port }), argValue],
  ['connect timeout -1', (x) => c({ host, port: x.port, timeout: -1 }), range],
  ['connect timeout NaN', (x) => c({ host, port: x.port, timeout: NaN }), range],
  ['connect timeout Infinity', (x) => c({ host, port: x.port, timeout: Infinity }), range],
  ['connect timeout 2^31 (huge)', (x) => c({ host, port: x.port, timeout: 2 ** 31 }), range],
  ['connect timeout "100"', (x) => c({ host, port: x.port, timeout: '100' }), argType],
  ['readTimeout -5', (x) => c({ host, port: x.port, readTimeout: -5 }), range],
  ['family 5', (x) => c({ host, port: x.port, family: 5 }), argValue],
  ['family "4"', (x) => c({ host, port: x.port, family: '4' }), argValue],
  ['path ""', () => c({ path: '' }), argValue],
  ['path and port together', (x) => c({ path: '/tmp/x.sock', port: x.port }), argValue],
  ['signal {}', (x) => c({ host, port: x.port, signal: {} }), argType],
  ['signal look-alike object', (x) => c({ host, port: x.port, signal: fakeSignal }), argType],
  ['signal already aborted', (x) => c({ host, port: x.port, signal: abortedSignal() }), aborted],
  ['nobody listening', (x) => c({ host, port: x.freePort, timeout: 2000 }), sys('ECONNREFUSED')],
  ['no such Unix path', (x) => c({ path: `${x.dir}/missing.sock`, timeout: 2000 }), sys('ENOENT')],
  // listen()
  ['listen(null)', () => l(null), argType],
  ['listen port -1', () => l({ host, port: -1 }), range],
  ['listen backlog -1', () => l({ host, backlog: -1 }), range],
  ['listen backlog 1.5', () => l({ host, backlog: 1.5 }), range],
  ['listen acceptTimeout Infinity', () => l({ host, acceptTimeout: Infinity }), range],
  ['listen host and path together', () => l({ host, path: '/tmp/x.sock' }), argValue],
  ['listen in a missing directory', (x) => l({ path: `${x.dir}/no/such/dir.sock` }), sys('ENOENT')],
  ['listen on a port in use', (x) => l({ host, port: x.port }), sys('EADDRINUSE')],
  // read() / readExactly()
  ['read(0)', (x) => x.sock.read(0), range],
  ['read(-1)', (x) => x.sock.read(-1), range],
  ['read(1.5)', (x) => x.sock.read(1.5), range],
  ['read(NaN)', (x) => x.sock.read(NaN), range],
  ['read(Infinity)', (x) => x.sock.read(Infinity), range],
  ['read(MAX_READ_SIZE + 1) (giant)', (x) => x.sock.read(MAX_READ_SIZE + 1), range],
  ['read("64")', (x) => x.sock.read('64' as Any), argType],
  ['read(64n)', (x) => x.sock.read(64n as Any), argType],
  ['read(64, null)', (x) => x.sock.read(64, null as Any), argType],
  ['read(64, "fast")', (x) => x.sock.read(64, 'fast' as Any), argType],
  ['read timeout -1', (x) => x.sock.read(64, { timeout: -1 }), range],
  ['read timeout NaN', (x) => x.sock.read(64, { timeout: NaN }), range],
  ['read signal "x"', (x) => x.sock.read(64, { signal: 'x' as Any }), argType],
  ['read with an aborted signal', (x) => x.sock.read(64, { signal: abortedSignal() }), aborted],
  ['read timer "fast"', (x) => x.sock.read(64, { timer: 'fast' as Any }), argValue],
  ['setTimer("hrtimer")', (x) => x.sock.setTimer('hrtimer' as Any), argValue],
  ['connect timer 1', (x) => c({ host, port: x.port, timer: 1 }), argValue],
  ['connect engine "epoll"', (x) => c({ host, port: x.port, engine: 'epoll' }), argValue],
  ['connect engine 1', (x) => c({ host, port: x.port, engine: 1 }), argValue],
  ['connect engine "Loop" (case matters)', (x) => c({ host, port: x.port, engine: 'Loop' }), argValue],
  ["connect engine 'loop' with timer 'sockopt'", (x) => c({ host, port: x.port, engine: 'loop', timer: 'sockopt' }), argValue],
  ['listen engine null', () => l({ host, port: 0, engine: null }), argValue],
  ["listen engine 'loop' with timer 'sockopt'", () => l({ host, port: 0, engine: 'loop', timer: 'sockopt' }), argValue],
  ['readExactly(0)', (x) => x.sock.readExactly(0), range],
  ['readExactly()', (x) => (x.sock.readExactly as Any)(), argType],
  ['readExactly with an aborted signal', (x) => x.sock.readExactly(4, { signal: abortedSignal() }), aborted],
  // write()
  ['write()', (x) => (x.sock.write as Any)(), argType],
  ['write(null)', (x) => x.sock.write(null as Any), argType],
  ['write(42)', (x) => x.sock.write(42 as Any), argType],
  ['write([1, 2])', (x) => x.sock.write([1, 2] as Any), argType],
  ['write({ length: 3 })', (x) => x.sock.write({ length: 3 } as Any), argType],
  ['write(ArrayBuffer)', (x) => x.sock.write(new ArrayBuffer(8) as Any), argType],
  ['write(Uint16Array)', (x) => x.sock.write(new Uint16Array(2) as Any), argType],
  ['write(DataView)', (x) => x.sock.write(new DataView(new ArrayBuffer(4)) as Any), argType],
  ['write("") (empty)', (x) => x.sock.write(''), range],
  ['write(Buffer.alloc(0)) (empty)', (x) => x.sock.write(Buffer.alloc(0)), range],
  ['write(detached ArrayBuffer view)', (x) => x.sock.write(detached()), range],
  ['write encoding "klingon"', (x) => x.sock.write('x', { encoding: 'klingon' as Any }), argValue],
  ['write timeout -1', (x) => x.sock.write('x', { timeout: -1 }), range],
  ['write options 5', (x) => x.sock.write('x', 5 as Any), argType],
  ['write with an aborted signal', (x) => x.sock.write('never sent', { signal: abortedSignal() }), aborted],
  // timeouts and deadlines
  ['setReadTimeout(-1)', (x) => x.sock.setReadTimeout(-1), range],
  ['setReadTimeout(NaN)', (x) => x.sock.setReadTimeout(NaN), range],
  ['setWriteTimeout("1")', (x) => x.sock.setWriteTimeout('1' as Any), argType],
  ['setDeadline("tomorrow")', (x) => x.sock.setDeadline('tomorrow' as Any), argType],
  ['setDeadline(Invalid Date)', (x) => x.sock.setDeadline(new Date(NaN)), argValue],
  ['setReadDeadline(Infinity)', (x) => x.sock.setReadDeadline(Infinity), range],
  // after close
  ['read after close', (x) => x.closedSock.read(1), closed],
  ['readExactly after close', (x) => x.closedSock.readExactly(1), closed],
  ['write after close', (x) => x.closedSock.write('x'), closed],
  ['end after close', (x) => x.closedSock.end(), closed],
  ['address() after close', (x) => x.closedSock.address(), closedSync],
  ['remoteAddress() after close', (x) => x.closedSock.remoteAddress(), closedSync],
  ['accept after server close', (x) => x.closedServer.accept(), closed],
  ['server address() after close', (x) => x.closedServer.address(), closedSync],
  // server
  ['accept(null)', (x) => x.server.accept(null as Any), argType],
  ['accept timeout -1', (x) => x.server.accept({ timeout: -1 }), range],
  ['setAcceptTimeout(-1)', (x) => x.server.setAcceptTimeout(-1), range],
  // constructors are not public
  ['new KernelSocket()', () => new (KernelSocket as Any)(), illegal],
  ['new KernelServer()', () => new (KernelServer as Any)(), illegal],
];

const queuedToSock = pattern(1000, 11);
const queuedToPeer = pattern(700, 12);

describe('bad input', () => {
  let ctx: Ctx;
  let live: Awaited<ReturnType<typeof pair>>;
  let cleanupDir: () => void;

  beforeAll(async () => {
    live = await pair('tcp4');
    const t = tempDir();
    cleanupDir = t.cleanup;
    const closedPair = await pair('unix');
    await closedPair.client.close();
    const closedServer = await listen({ host, port: 0 });
    await closedServer.close();
    // A port nobody listens on: bound once, then closed.
    const probe = await listen({ host, port: 0 });
    const freePort = (probe.address() as { port: number }).port;
    await probe.close();
    ctx = {
      sock: live.client,
      server: live.server,
      closedSock: closedPair.client,
      closedServer,
      port: (live.server.address() as { port: number }).port,
      freePort,
      dir: t.dir,
    };
    await closedPair.close();
    await live.peer.write(queuedToSock); // waits in the kernel through the whole table
  });

  afterAll(async () => {
    await live?.close();
    cleanupDir?.();
  });

  it('has at least 40 cases', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  for (const [name, call, expected] of TABLE) {
    it(`${name} -> ${expected.type.name}${expected.code ? ` ${expected.code}` : ''} (${expected.mode})`, async () => {
      let thrown: unknown;
      let returned: unknown;
      try {
        returned = call(ctx);
      } catch (err) {
        thrown = err;
      }
      let error: unknown = thrown;
      if (expected.mode === 'throw') {
        expect(thrown, 'must throw synchronously').toBeDefined();
      } else {
        expect(thrown, 'must not throw synchronously').toBeUndefined();
        expect(returned).toBeInstanceOf(Promise);
        error = await within(
          (returned as Promise<unknown>).then(
            (v) => ({ resolvedWith: v }),
            (e: unknown) => e,
          ),
          5000,
          name,
        );
      }
      expect(error).toBeInstanceOf(expected.type);
      if (expected.code) expect((error as { code?: string }).code).toBe(expected.code);
    });
  }

  it('concurrent double close: both resolve, later ops reject as closed', async () => {
    const p = await pair('tcp4');
    const reading = p.client.read(10).catch((e: unknown) => e);
    const [a, b] = [p.client.close(), p.client.close()];
    expect(a).toBe(b);
    await within(Promise.all([a, b]), 5000, 'double close');
    expect(await reading).toBeInstanceOf(SocketClosedError);
    await expect(p.client.read(1)).rejects.toBeInstanceOf(SocketClosedError);
    await p.close();
  });

  it('no invalid call consumed or sent a byte, and nothing is left pending', async () => {
    expect((await live.client.readExactly(queuedToSock.length, { timeout: 5000 })).equals(queuedToSock)).toBe(true);
    await live.client.write(queuedToPeer);
    expect((await live.peer.readExactly(queuedToPeer.length, { timeout: 5000 })).equals(queuedToPeer)).toBe(true);
    // Nothing else arrived: not the aborted write's bytes, nor anything else.
    await expect(live.peer.read(64, { timeout: 50 })).rejects.toBeInstanceOf(ReadTimeoutError);
    await expect(live.client.read(64, { timeout: 50 })).rejects.toBeInstanceOf(ReadTimeoutError);
    expect(addon.pending()).toBe(0);
  });
});
