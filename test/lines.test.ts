// LineReader: delimiter framing over read(), leftover bytes kept across
// calls and across timeouts, a bound on line length, fixed-size bodies mixed in.
import { describe, expect, it } from 'vitest';
import { EndOfStreamError, LineReader, LineTooLongError, ReadTimeoutError } from '../dist/index.js';
import { ENGINES, pair } from './helpers.js';

describe.each(ENGINES)('LineReader (%s engine)', (engine) => {
  it('splits lines that arrive in one chunk, across chunks, and returns the unterminated rest at end', async () => {
    const p = await pair('unix', {}, engine);
    try {
      const lines = new LineReader(p.peer);
      await p.client.write('alpha\nbeta\nga');
      expect(await lines.readLineString()).toBe('alpha');
      expect(await lines.readLineString()).toBe('beta');
      expect(lines.buffered).toBe(2);
      await p.client.write('mma\n\nlast');
      await p.client.end();
      const rest: string[] = [];
      for await (const line of lines) rest.push(String(line));
      expect(rest).toEqual(['gamma', '', 'last']);
      expect(await lines.readLine()).toBeNull();
    } finally {
      await p.close();
    }
  });

  it('a multi-byte delimiter split between two reads', async () => {
    const p = await pair('tcp4', {}, engine);
    try {
      const lines = new LineReader(p.peer, { delimiter: '\r\n' });
      await p.client.write('HELO x\r');
      const pending = lines.readLineString({ timeout: 5000 });
      await p.client.write('\nQUIT\r\n');
      expect(await pending).toBe('HELO x');
      expect(await lines.readLineString({ timeout: 5000 })).toBe('QUIT');
    } finally {
      await p.close();
    }
  });

  it('a timeout mid-line keeps the bytes that came; the next call completes the line', async () => {
    const p = await pair('tcp4', {}, engine);
    try {
      const lines = new LineReader(p.peer);
      await p.client.write('partial');
      await expect(lines.readLine({ timeout: 100 })).rejects.toBeInstanceOf(ReadTimeoutError);
      expect(lines.buffered).toBe(7);
      await p.client.write(' line\n');
      expect(await lines.readLineString({ timeout: 5000 })).toBe('partial line');
    } finally {
      await p.close();
    }
  });

  it('maxLineLength: a line of exactly the limit passes, one byte more throws LineTooLongError', async () => {
    const p = await pair('tcp4', {}, engine);
    try {
      const lines = new LineReader(p.peer, { maxLineLength: 8 });
      await p.client.write('12345678\n123456789\n');
      expect(await lines.readLineString({ timeout: 5000 })).toBe('12345678');
      const err = await lines.readLine({ timeout: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LineTooLongError);
      expect(err).toMatchObject({ code: 'ERR_LINE_TOO_LONG', maxLineLength: 8 });
    } finally {
      await p.close();
    }
  });

  it('a line without end hits the limit without waiting for more bytes than limit + delimiter', async () => {
    const p = await pair('tcp4', {}, engine);
    try {
      const lines = new LineReader(p.peer, { maxLineLength: 1000 });
      await p.client.write(Buffer.alloc(1001, 0x61));
      await expect(lines.readLine({ timeout: 5000 })).rejects.toBeInstanceOf(LineTooLongError);
    } finally {
      await p.close();
    }
  });

  it('readExactly takes buffered bytes first: a header line then a body of the size it names', async () => {
    const p = await pair('tcp4', {}, engine);
    try {
      const lines = new LineReader(p.peer);
      const body = Buffer.from('0123456789'.repeat(1000));
      await p.client.write(Buffer.concat([Buffer.from(`LEN ${body.length}\n`), body, Buffer.from('NEXT\n')]));
      const header = await lines.readLineString({ timeout: 5000 });
      const size = Number(header!.split(' ')[1]);
      expect((await lines.readExactly(size, { timeout: 5000 })).equals(body)).toBe(true);
      expect(await lines.readLineString({ timeout: 5000 })).toBe('NEXT');
    } finally {
      await p.close();
    }
  });

  it('readExactly at end of stream: EndOfStreamError with every byte that came, buffered ones included', async () => {
    const p = await pair('unix', {}, engine);
    try {
      const lines = new LineReader(p.peer);
      await p.client.write('head\nbody-');
      expect(await lines.readLineString({ timeout: 5000 })).toBe('head');
      await p.client.write('start');
      await p.client.end();
      const err = await lines.readExactly(100, { timeout: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EndOfStreamError);
      expect(String((err as EndOfStreamError).partial)).toBe('body-start');
    } finally {
      await p.close();
    }
  });

  it('validates options with Node codes', async () => {
    const p = await pair('unix', {}, engine);
    try {
      expect(() => new LineReader(p.peer, { delimiter: '' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => new LineReader(p.peer, { maxLineLength: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    } finally {
      await p.close();
    }
  });
});
