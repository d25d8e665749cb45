// The addon's per-op calls (read, write, end: native/socket_wrap.cc) given
// what lib/ never passes them. lib/validate.ts checks every argument with
// Node's codes; the addon re-checks only what would otherwise crash or be
// undefined behaviour, at one N-API call per argument, and a bug in lib/
// that slipped such an argument through gets a TypeError or RangeError at
// the call: no crash, no op started.
import { afterAll, describe, expect, it } from 'vitest';
import { addon, EngineCode, isResult, type NativeSocket, type SocketCell } from '../dist/native.js';
import { ENGINES } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the point is arguments the types forbid
type Any = any;

describe.each(ENGINES)('raw per-op calls with bad arguments (%s engine)', (engine) => {
  const opened = addon.NativeSocket.open(4, false, engine === 'loop' ? EngineCode.Loop : EngineCode.Threads);
  if (isResult(opened)) throw new Error(`socket: ${opened.code}`);
  const native: NativeSocket = opened;
  const cell: SocketCell = native.cell;
  const bytes = Buffer.from('x');

  afterAll(() => {
    native.close();
  });

  const cases: [string, () => unknown, typeof TypeError | typeof RangeError][] = [
    ['read with no cell', () => addon.read(undefined as Any, 1, 0, false), TypeError],
    ['read with an object for a cell', () => addon.read({} as Any, 1, 0, false), TypeError],
    ['read with an External that is not a cell', () => addon.read(addon.NativeSocket.notACell(), 1, 0, false), TypeError],
    ['read size "1"', () => addon.read(cell, '1' as Any, 0, false), TypeError],
    ['read size 0', () => addon.read(cell, 0, 0, false), RangeError],
    ['read size NaN', () => addon.read(cell, Number.NaN, 0, false), RangeError],
    ['read size 64 MiB + 1', () => addon.read(cell, 64 * 1024 * 1024 + 1, 0, false), RangeError],
    ['read size 1e300', () => addon.read(cell, 1e300, 0, false), RangeError],
    ['read timeout -1', () => addon.read(cell, 1, -1, false), RangeError],
    ['read timeout Infinity', () => addon.read(cell, 1, Number.POSITIVE_INFINITY, false), RangeError],
    ['read timeout missing', () => (addon.read as Any)(cell, 1), TypeError],
    ['read exact "yes"', () => addon.read(cell, 1, 0, 'yes' as Any), TypeError],
    ['read exact missing', () => (addon.read as Any)(cell, 1, 0), TypeError],
    ['read timer 2', () => addon.read(cell, 1, 0, false, 2 as Any), RangeError],
    ['read timer "poll"', () => addon.read(cell, 1, 0, false, 'poll' as Any), TypeError],
    ['write with an object for a cell', () => addon.write({} as Any, bytes, 0), TypeError],
    ['write with an External that is not a cell', () => addon.write(addon.NativeSocket.notACell(), bytes, 0), TypeError],
    ['write a string', () => addon.write(cell, 'x' as Any, 0), TypeError],
    ['write an ArrayBuffer', () => addon.write(cell, new ArrayBuffer(1) as Any, 0), TypeError],
    ['write a Uint16Array', () => addon.write(cell, new Uint16Array(1) as Any, 0), TypeError],
    ['write timeout -1', () => addon.write(cell, bytes, -1), RangeError],
    ['write timer -1', () => addon.write(cell, bytes, 0, -1 as Any), RangeError],
    ['end with no cell', () => (addon.end as Any)(), TypeError],
    ['end with an External that is not a cell', () => addon.end(addon.NativeSocket.notACell()), TypeError],
    ['end timer "x"', () => (addon.end as Any)(cell, 'x'), TypeError],
  ];

  for (const [name, call, type] of cases) {
    it(`${name}: ${type.name}, no op started`, () => {
      const before = addon.pending();
      expect(call).toThrow(type);
      expect(addon.pending()).toBe(before);
    });
  }
});
