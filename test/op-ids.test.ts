// Op ids against the raw addon: an id names one pending op of one socket.
// A cancel carrying another socket's id must not touch that op (it would
// never settle and its bytes would go to the stash), and ids are never
// handed out twice while pending, even across the wrap of the generations
// (reached here with the setLastOpGeneration test hook instead of 2^31 ops
// per slot).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type KernelServer, type KernelSocket } from '../dist/index.js';
import { addon, Cancel, EngineCode, isResult, type NativeResult, type NativeSocket, type Started } from '../dist/native.js';
import { holdsOp, run } from '../dist/operation.js';
import { ENGINES } from './helpers.js';

/** native/op_registry.h: id = generation * SLOTS + slot, generations 1..MAX_GENERATION. */
const SLOTS = 2 ** 22;
const MAX_GENERATION = 2 ** 31 - 1;
const LAST_ID = MAX_GENERATION * SLOTS + SLOTS - 1;

describe.each(ENGINES)('op ids (%s engine)', (engine) => {
  let server: KernelServer;
  let port = 0;
  const peers: KernelSocket[] = [];
  const natives: NativeSocket[] = [];

  beforeAll(async () => {
    server = await listen({ host: '127.0.0.1', port: 0, engine });
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const n of natives) n.close();
    for (const p of peers) await p.close();
    await server.close();
  });

  /** A raw client socket, connected, and its accepted peer. */
  async function rawPair(): Promise<{ raw: NativeSocket; peer: KernelSocket }> {
    const opened = addon.NativeSocket.open(4, false, engine === 'loop' ? EngineCode.Loop : EngineCode.Threads);
    if (isResult(opened)) throw new Error(`socket: ${opened.code}`);
    const raw = opened;
    natives.push(raw);
    const accepted = server.accept({ timeout: 5000 });
    const connected = await rawOp(raw, () => raw.connect('127.0.0.1', port, 5000)).result;
    expect(connected.status).toBe(0);
    const peer = await accepted;
    peers.push(peer);
    return { raw, peer };
  }

  /** A raw op started through run() (whose settle callback gets every outcome): its id (0: done at once) and outcome. */
  function rawOp(native: NativeSocket, start: () => Started): { id: number; result: Promise<NativeResult> } {
    let id = 0;
    const result = run<NativeResult>({
      name: () => 'raw',
      lane: undefined,
      native,
      timeout: 0,
      signal: undefined,
      start: () => {
        const started = start();
        if (typeof started === 'number') id = started;
        return started;
      },
      outcome: (r) => ({ ...r }),
    });
    return { id, result };
  }

  /** Starts a read that must stay pending; its id and its outcome. */
  function pendingRead(raw: NativeSocket): { id: number; result: Promise<NativeResult> } {
    const read = rawOp(raw, () => addon.read(raw.cell, 100, 0, false));
    if (read.id === 0) throw new Error('read finished at once with nothing sent');
    return read;
  }

  it('forgets each op as it is delivered: the id table holds none once they settle', async () => {
    const a = await rawPair();
    // One read in flight, the rest queued behind it: each holds a slot.
    // (Counted by id: an op a test before this one left to the addon may
    // be let go while this one runs.)
    const reads = Array.from({ length: 20 }, () => rawOp(a.raw, () => addon.read(a.raw.cell, 1, 0, false)));
    const ids = reads.map((r) => Math.abs(r.id));
    for (const id of ids) expect(holdsOp(id)).toBe(true);
    await a.peer.write(Buffer.alloc(20, 0x61), { timeout: 5000 });
    for (const r of reads) expect((await r.result).data?.toString()).toBe('a');
    for (const id of ids) expect(holdsOp(id)).toBe(false);
  });

  it("a cancel with another socket's id does nothing to that op", async () => {
    const a = await rawPair();
    const b = await rawPair();
    const readA = pendingRead(a.raw);
    expect(readA.id).toBeGreaterThan(0); // in flight
    // b cancels a's id: not its op, so nothing happens.
    expect(b.raw.cancel(Math.abs(readA.id))).toBe(Cancel.TooLate);
    // a's read is still the one that gets a's bytes.
    await a.peer.write(Buffer.from('for a'), { timeout: 5000 });
    const r = await readA.result;
    expect(r.status).toBe(0);
    expect(r.data?.toString()).toBe('for a');
  });

  it('never hands out an id that is still pending, across the wrap', async () => {
    const a = await rawPair();
    const b = await rawPair();
    addon.setLastOpGeneration(MAX_GENERATION - 1);
    const first = pendingRead(a.raw); // in flight
    const second = pendingRead(b.raw); // in flight
    const third = pendingRead(a.raw); // queued behind first
    for (const op of [first, second, third]) {
      expect(Math.abs(op.id)).toBeLessThanOrEqual(LAST_ID);
      expect(Math.floor(Math.abs(op.id) / SLOTS)).toBe(MAX_GENERATION);
    }
    expect(first.id).toBeGreaterThan(0);
    expect(second.id).toBeGreaterThan(0);
    expect(third.id).toBeLessThan(0);
    // The generations wrap while all three are pending: the next op gets
    // generation 1, and still an id none of them has (their slots stay
    // taken until they are delivered).
    addon.setLastOpGeneration(MAX_GENERATION);
    const fourth = pendingRead(b.raw);
    expect(fourth.id).toBeLessThan(0);
    expect(Math.floor(-fourth.id / SLOTS)).toBe(1);
    const ids = [first, second, third, fourth].map((op) => Math.abs(op.id));
    expect(new Set(ids).size).toBe(4);
    // Each id still reaches its own op (a removed op is delivered as
    // Cancelled only, to let its record go), and only from its own socket.
    expect(b.raw.cancel(ids[2]!)).toBe(Cancel.TooLate);
    expect(a.raw.cancel(ids[2]!)).toBe(Cancel.Removed);
    expect(a.raw.cancel(ids[3]!)).toBe(Cancel.TooLate);
    expect(b.raw.cancel(ids[3]!)).toBe(Cancel.Removed);
    await a.peer.write(Buffer.from('a'), { timeout: 5000 });
    await b.peer.write(Buffer.from('b'), { timeout: 5000 });
    expect((await first.result).data?.toString()).toBe('a');
    expect((await second.result).data?.toString()).toBe('b');
    // Delivered: their slots are free again, and an op that reuses one,
    // wrapping too, is reached by its id.
    addon.setLastOpGeneration(MAX_GENERATION);
    const fifth = pendingRead(a.raw);
    expect(Math.floor(fifth.id / SLOTS)).toBe(1);
    expect(a.raw.cancel(fifth.id)).toBe(Cancel.Abandoned);
  });
});
