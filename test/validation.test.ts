// Bad arguments throw synchronously with Node's codes; nothing reaches the
// kernel. Every row is a real call on a real socket or the real functions.
import { describe, expect, it } from 'vitest';
import { connect, listen, MAX_READ_SIZE, MAX_TIMEOUT_MS } from '../dist/index.js';
import { pair } from './helpers.js';

type Row = [string, () => unknown, 'ERR_INVALID_ARG_TYPE' | 'ERR_OUT_OF_RANGE' | 'ERR_INVALID_ARG_VALUE'];

describe('invalid arguments', async () => {
  const p = await pair('tcp4');
  const s = p.server;
  const rows: Row[] = [
    ['connect() without options', () => connect(undefined as never), 'ERR_INVALID_ARG_TYPE'],
    ['connect(null)', () => connect(null as never), 'ERR_INVALID_ARG_TYPE'],
    ['connect port -1', () => connect({ port: -1 }), 'ERR_OUT_OF_RANGE'],
    ['connect port 65536', () => connect({ port: 65536 }), 'ERR_OUT_OF_RANGE'],
    ['connect port 1.5', () => connect({ port: 1.5 }), 'ERR_OUT_OF_RANGE'],
    ['connect port "80"', () => connect({ port: '80' as never }), 'ERR_INVALID_ARG_TYPE'],
    ['connect host 42', () => connect({ host: 42 as never, port: 1 }), 'ERR_INVALID_ARG_TYPE'],
    ['connect host ""', () => connect({ host: '', port: 1 }), 'ERR_INVALID_ARG_VALUE'],
    ['connect path and port', () => connect({ path: '/tmp/x', port: 1 }), 'ERR_INVALID_ARG_VALUE'],
    ['connect path with NUL', () => connect({ path: '/tmp/\0x' }), 'ERR_INVALID_ARG_VALUE'],
    ['connect timeout -1', () => connect({ port: 1, timeout: -1 }), 'ERR_OUT_OF_RANGE'],
    ['connect timeout NaN', () => connect({ port: 1, timeout: NaN }), 'ERR_OUT_OF_RANGE'],
    ['connect timeout Infinity', () => connect({ port: 1, timeout: Infinity }), 'ERR_OUT_OF_RANGE'],
    ['connect timeout too large', () => connect({ port: 1, timeout: MAX_TIMEOUT_MS + 1 }), 'ERR_OUT_OF_RANGE'],
    ['connect timeout "1"', () => connect({ port: 1, timeout: '1' as never }), 'ERR_INVALID_ARG_TYPE'],
    ['connect readTimeout -5', () => connect({ port: 1, readTimeout: -5 }), 'ERR_OUT_OF_RANGE'],
    ['connect family 5', () => connect({ port: 1, family: 5 as never }), 'ERR_INVALID_ARG_VALUE'],
    ['connect signal {}', () => connect({ port: 1, signal: {} as never }), 'ERR_INVALID_ARG_TYPE'],
    ['listen backlog -1', () => listen({ backlog: -1 }), 'ERR_OUT_OF_RANGE'],
    ['listen port 70000', () => listen({ port: 70000 }), 'ERR_OUT_OF_RANGE'],
    ['listen acceptTimeout NaN', () => listen({ acceptTimeout: NaN }), 'ERR_OUT_OF_RANGE'],
    ['listen options "x"', () => listen('x' as never), 'ERR_INVALID_ARG_TYPE'],
    ['read size 0', () => p.client.read(0), 'ERR_OUT_OF_RANGE'],
    ['read size -1', () => p.client.read(-1), 'ERR_OUT_OF_RANGE'],
    ['read size 1.5', () => p.client.read(1.5), 'ERR_OUT_OF_RANGE'],
    ['read size absurd', () => p.client.read(MAX_READ_SIZE + 1), 'ERR_OUT_OF_RANGE'],
    ['read size "10"', () => p.client.read('10' as never), 'ERR_INVALID_ARG_TYPE'],
    ['read timeout -1', () => p.client.read(10, { timeout: -1 }), 'ERR_OUT_OF_RANGE'],
    ['read options 5', () => p.client.read(10, 5 as never), 'ERR_INVALID_ARG_TYPE'],
    ['read signal "x"', () => p.client.read(10, { signal: 'x' as never }), 'ERR_INVALID_ARG_TYPE'],
    ['readExactly size 0', () => p.client.readExactly(0), 'ERR_OUT_OF_RANGE'],
    ['write number', () => p.client.write(5 as never), 'ERR_INVALID_ARG_TYPE'],
    ['write null', () => p.client.write(null as never), 'ERR_INVALID_ARG_TYPE'],
    ['write ArrayBuffer', () => p.client.write(new ArrayBuffer(4) as never), 'ERR_INVALID_ARG_TYPE'],
    ['write empty buffer', () => p.client.write(Buffer.alloc(0)), 'ERR_OUT_OF_RANGE'],
    ['write empty string', () => p.client.write(''), 'ERR_OUT_OF_RANGE'],
    ['write bad encoding', () => p.client.write('x', { encoding: 'nope' as never }), 'ERR_INVALID_ARG_VALUE'],
    ['write timeout Infinity', () => p.client.write('x', { timeout: Infinity }), 'ERR_OUT_OF_RANGE'],
    ['setReadTimeout -1', () => p.client.setReadTimeout(-1), 'ERR_OUT_OF_RANGE'],
    ['setWriteTimeout "5"', () => p.client.setWriteTimeout('5' as never), 'ERR_INVALID_ARG_TYPE'],
    ['setReadDeadline "soon"', () => p.client.setReadDeadline('soon' as never), 'ERR_INVALID_ARG_TYPE'],
    ['setReadDeadline NaN', () => p.client.setReadDeadline(NaN), 'ERR_OUT_OF_RANGE'],
    ['setReadDeadline invalid Date', () => p.client.setReadDeadline(new Date('x')), 'ERR_INVALID_ARG_VALUE'],
    ['accept timeout -1', () => s.accept({ timeout: -1 }), 'ERR_OUT_OF_RANGE'],
    ['accept signal 1', () => s.accept({ signal: 1 as never }), 'ERR_INVALID_ARG_TYPE'],
  ];

  it.each(rows)('%s throws %s synchronously', (_name, call, code) => {
    let result: unknown;
    let thrown: unknown;
    try {
      result = call();
    } catch (err) {
      thrown = err;
    }
    expect(result).toBeUndefined(); // no promise: nothing was started
    expect(thrown).toBeInstanceOf(code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError);
    expect(thrown).toMatchObject({ code });
  });

  it('the sockets are untouched by all of the above', async () => {
    await p.client.write('ok');
    expect((await p.peer.read())!.toString()).toBe('ok');
    await p.close();
  });
});
