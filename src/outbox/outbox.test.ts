import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AckWindow } from './ack-window.js';
import { Outbox, type OutboxOptions } from './outbox.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const openOutbox = (options: Partial<OutboxOptions> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-unit-'));
  dirs.push(dir);
  return Outbox.open({ dir, log: { warn: () => {} }, ...options });
};

describe('Outbox batching and group commit', () => {
  it('seals a message when its first item reaches maxAgeMs, then commits it one interval later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const outbox = await openOutbox({ batch: { maxAgeMs: 1000 }, commitIntervalMs: 200 });
    outbox.append('telemetry', { i: 0 });
    await vi.advanceTimersByTimeAsync(600);
    outbox.append('telemetry', { i: 1 });
    await vi.advanceTimersByTimeAsync(399);
    expect(outbox.stats().telemetry).toMatchObject({ messages: 0, openItems: 2 });
    const committed = new Promise<number>((resolve) => outbox.onCommitted((_s, seq) => resolve(seq)));
    await vi.advanceTimersByTimeAsync(1);
    expect(outbox.stats().telemetry.openItems).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(await committed).toBe(1);
    expect(outbox.next('telemetry', 0, 5)[0]).toMatchObject({ items: 2, body: '[{"i":0},{"i":1}]' });
    await outbox.close();
  });

  it('makes one fsync per group commit, however many messages the group holds, none for acks', async () => {
    const outbox = await openOutbox({ batch: { maxItems: 10 } });
    const before = outbox.syncCalls;
    for (let i = 0; i < 5000; i++) outbox.append('telemetry', { i });
    await outbox.flush();
    expect(outbox.stats().telemetry.messages).toBe(500);
    expect(outbox.syncCalls - before).toBe(1);
    // Acks are persisted without an fsync of their own: losing one only means a resend.
    for (let seq = 1; seq <= 500; seq++) outbox.ack('telemetry', seq);
    await outbox.flush();
    expect(outbox.stats().telemetry.messages).toBe(0);
    expect(outbox.syncCalls - before).toBe(1);
    await outbox.close();
  });

  it('fsyncs every seal under strict before append returns, and never under os', async () => {
    const strict = await openOutbox({ durability: 'strict', batch: { maxItems: 2 } });
    const before = strict.syncCalls;
    for (let i = 0; i < 6; i++) strict.append('telemetry', { i });
    expect(strict.syncCalls - before).toBe(3);
    expect(strict.committedSeq('telemetry')).toBe(3);
    await strict.close();
    const os = await openOutbox({ durability: 'os', batch: { maxItems: 2 } });
    for (let i = 0; i < 6; i++) os.append('telemetry', { i });
    await os.flush();
    expect(os.syncCalls).toBe(0);
    expect(os.committedSeq('telemetry')).toBe(3);
    await os.close();
  });

  it('captures the item at append time and ignores acks of uncommitted seqs', async () => {
    const outbox = await openOutbox({ batch: { maxItems: 2 } });
    const item = { v: 1 };
    outbox.append('events', item);
    item.v = 2;
    outbox.append('events', item);
    outbox.ack('events', 1);
    await outbox.flush();
    expect(outbox.next('events', 0, 5).map((m) => m.body)).toEqual(['[{"v":1},{"v":2}]']);
    await outbox.close();
    expect(() => outbox.append('events', {})).toThrow(/closed/);
  });

  it('rejects limits that cannot hold', async () => {
    await expect(openOutbox({ batch: { maxBytes: 200_000 } })).rejects.toThrow(RangeError);
    await expect(openOutbox({ maxStoredBytes: 1000 })).rejects.toThrow(RangeError);
    await expect(openOutbox({ commitIntervalMs: 0 })).rejects.toThrow(RangeError);
  });
});

describe('AckWindow', () => {
  it('moves the prefix only over contiguous acks and forgets dropped seqs', () => {
    const w = new AckWindow(0);
    expect(w.ack(2)).toBe(false);
    expect(w.ack(1)).toBe(true);
    expect(w.through).toBe(2);
    w.ack(5);
    w.forget(3, 4);
    expect(w.through).toBe(5);
    w.forget(8, 9);
    expect(w.has(9) && !w.has(7)).toBe(true);
    w.ack(6);
    w.ack(7);
    expect(w.through).toBe(9);
  });
});
