/**
 * What every outbox store must do, observed through the outbox (batching and seqs are
 * written once above the stores, so the contract is the behaviour a publisher sees).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DroppedRange,
  encodePayload,
  MAX_MESSAGE_BYTES,
  Outbox,
  type OutboxOptions,
  type SealedMessage,
  type StoreFactory,
  type Stream,
} from '../../src/outbox/index.js';

export interface Sample {
  i: number;
  v: number;
}

/** Items of the messages, in order, each message's body parsed. */
export function itemsOf(messages: readonly SealedMessage[]): unknown[] {
  return messages.flatMap((m) => JSON.parse(m.body) as unknown[]);
}

export function drainAll(outbox: Outbox, stream: Stream): SealedMessage[] {
  const out: SealedMessage[] = [];
  for (let after = 0; ; ) {
    const batch = outbox.next(stream, after, 100);
    if (batch.length === 0) return out;
    out.push(...batch);
    after = batch.at(-1)!.seq;
  }
}

const quiet = { warn: () => {} };

export function outboxStoreContract(name: string, factory: StoreFactory): void {
  describe(`outbox store contract: ${name}`, () => {
    const dirs: string[] = [];
    const open: Outbox[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((o) => o.close().catch(() => {})));
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });
    const newDir = () => {
      const dir = mkdtempSync(join(tmpdir(), `outbox-${name}-`));
      dirs.push(dir);
      return dir;
    };
    const openOutbox = async (dir: string, options: Partial<OutboxOptions> = {}) => {
      const outbox = await Outbox.open({ dir, store: factory, bootId: 'boot-1', log: quiet, ...options });
      open.push(outbox);
      return outbox;
    };
    const appendSamples = (outbox: Outbox, from: number, count: number) => {
      for (let i = from; i < from + count; i++) outbox.append('telemetry', { i, v: i / 2 } satisfies Sample);
    };

    it('returns sealed messages in seq order, seqs from 1, items in order', async () => {
      const outbox = await openOutbox(newDir(), { batch: { maxItems: 10 } });
      appendSamples(outbox, 0, 253);
      outbox.append('events', { t: 1, type: 'plan.started' });
      await outbox.flush();
      const messages = drainAll(outbox, 'telemetry');
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 26 }, (_, k) => k + 1));
      expect(messages.map((m) => m.items)).toEqual([...Array(25).fill(10), 3]);
      expect(itemsOf(messages).map((s) => (s as Sample).i)).toEqual(Array.from({ length: 253 }, (_, k) => k));
      expect(messages.every((m) => m.bootId === 'boot-1' && m.stream === 'telemetry')).toBe(true);
      const [event] = drainAll(outbox, 'events');
      expect(event?.seq).toBe(1);
      expect(JSON.parse(encodePayload(event!))).toEqual({
        seq: 1,
        bootId: 'boot-1',
        events: [{ t: 1, type: 'plan.started' }],
      });
      expect(outbox.next('telemetry', 20, 3).map((m) => m.seq)).toEqual([21, 22, 23]);
    });

    it('offers a message only once it is committed, and says so', async () => {
      const outbox = await openOutbox(newDir(), { batch: { maxItems: 5 } });
      const committed = new Promise<[Stream, number]>((resolve) =>
        outbox.onCommitted((...args) => resolve(args)),
      );
      appendSamples(outbox, 0, 5);
      expect(outbox.next('telemetry', 0, 10)).toEqual([]);
      expect(await committed).toEqual(['telemetry', 1]);
      expect(outbox.next('telemetry', 0, 10).map((m) => m.seq)).toEqual([1]);
    });

    it('keeps seqs contiguous across reopen, each message with the bootId that sealed it', async () => {
      const dir = newDir();
      const first = await openOutbox(dir, { batch: { maxItems: 4 } });
      appendSamples(first, 0, 10);
      first.append('events', { t: 1, type: 'a' });
      await first.close();
      const second = await openOutbox(dir, { batch: { maxItems: 4 }, bootId: 'boot-2' });
      appendSamples(second, 10, 8);
      second.append('events', { t: 2, type: 'b' });
      await second.flush();
      const messages = drainAll(second, 'telemetry');
      expect(messages.map((m) => [m.seq, m.bootId])).toEqual([
        [1, 'boot-1'],
        [2, 'boot-1'],
        [3, 'boot-1'],
        [4, 'boot-2'],
        [5, 'boot-2'],
      ]);
      expect(itemsOf(messages).map((s) => (s as Sample).i)).toEqual(Array.from({ length: 18 }, (_, k) => k));
      expect(drainAll(second, 'events').map((m) => m.seq)).toEqual([1, 2]);
    });

    it('takes acks out of order, removes the contiguous prefix, resends the rest after reopen', async () => {
      const dir = newDir();
      const outbox = await openOutbox(dir, { batch: { maxItems: 1 } });
      appendSamples(outbox, 0, 10);
      await outbox.flush();
      for (const seq of [3, 2, 5, 99]) outbox.ack('telemetry', seq);
      expect(outbox.next('telemetry', 0, 100).map((m) => m.seq)).toEqual([1, 4, 6, 7, 8, 9, 10]);
      outbox.ack('telemetry', 1);
      await outbox.flush();
      expect(outbox.stats().telemetry).toMatchObject({ messages: 7, items: 7, oldestSeq: 4, newestSeq: 10 });
      expect(outbox.next('telemetry', 0, 2).map((m) => m.seq)).toEqual([4, 6]);
      await outbox.close();
      const reopened = await openOutbox(dir);
      // Seq 5 was acknowledged above a hole: only the prefix persists, so it comes again (at least once).
      expect(drainAll(reopened, 'telemetry').map((m) => m.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    });

    it('after reopen with a partial ack, reads what is left and continues the seq', async () => {
      const dir = newDir();
      const outbox = await openOutbox(dir, { batch: { maxItems: 2 } });
      appendSamples(outbox, 0, 20);
      await outbox.flush();
      for (let seq = 1; seq <= 6; seq++) outbox.ack('telemetry', seq);
      await outbox.close();
      const reopened = await openOutbox(dir, { batch: { maxItems: 2 } });
      expect(drainAll(reopened, 'telemetry').map((m) => m.seq)).toEqual([7, 8, 9, 10]);
      appendSamples(reopened, 20, 2);
      await reopened.flush();
      expect(reopened.next('telemetry', 10, 5).map((m) => m.seq)).toEqual([11]);
      expect(reopened.stats().telemetry).toMatchObject({
        messages: 5,
        items: 10,
        oldestSeq: 7,
        newestSeq: 11,
      });
    });

    it('persists the seq counter when every message was acknowledged and removed', async () => {
      const dir = newDir();
      const outbox = await openOutbox(dir, { batch: { maxItems: 1 }, maxStoredBytes: 1 << 20 });
      // Enough to fill several segments of a segment log, so that whole files are deleted.
      const padding = 'x'.repeat(20_000);
      for (let i = 0; i < 40; i++) outbox.append('telemetry', { i, padding });
      outbox.append('events', { t: 0, type: 'a' });
      await outbox.flush();
      for (let seq = 1; seq <= 40; seq++) outbox.ack('telemetry', seq);
      outbox.ack('events', 1);
      await outbox.flush();
      expect(outbox.stats().telemetry).toMatchObject({ messages: 0, items: 0 });
      expect(outbox.storedBytes()).toBeLessThan(200_000);
      await outbox.close();
      const reopened = await openOutbox(dir, { batch: { maxItems: 1 } });
      expect(drainAll(reopened, 'telemetry')).toEqual([]);
      reopened.append('telemetry', { i: 40 });
      reopened.append('events', { t: 1, type: 'b' });
      await reopened.flush();
      expect(drainAll(reopened, 'telemetry').map((m) => m.seq)).toEqual([41]);
      expect(drainAll(reopened, 'events').map((m) => m.seq)).toEqual([2]);
    });

    it('holds the byte bound by dropping the oldest messages, and reports exactly what went', async () => {
      const dir = newDir();
      const maxStoredBytes = 1 << 20;
      const reports: DroppedRange[] = [];
      const outbox = await openOutbox(dir, {
        batch: { maxItems: 50, maxBytes: 16 * 1024 },
        maxStoredBytes,
        onDropped: (r) => reports.push(r),
      });
      const samples = 60_000;
      for (let i = 0; i < samples; i++) {
        outbox.append('telemetry', { d: 'chamber', c: 'temperature', t: 1764300000000 + i, v: 23.41, i });
        if (i % 5000 === 4999) await outbox.flush();
      }
      await outbox.flush();
      expect(outbox.storedBytes()).toBeLessThanOrEqual(maxStoredBytes);
      const telemetryDrops = reports.filter((r) => r.stream === 'telemetry');
      expect(telemetryDrops.length).toBeGreaterThan(0);
      expect(telemetryDrops.every((r) => r.reason === 'limit')).toBe(true);
      // Reports are contiguous from seq 1, and what is left starts right after them.
      let next = 1;
      for (const r of telemetryDrops) {
        expect(r.firstSeq).toBe(next);
        next = r.lastSeq + 1;
      }
      const left = drainAll(outbox, 'telemetry');
      expect(left[0]!.seq).toBe(next);
      expect(left.map((m) => m.seq)).toEqual(Array.from({ length: left.length }, (_, k) => next + k));
      const droppedItems = telemetryDrops.reduce((n, r) => n + r.items!, 0);
      expect(droppedItems + itemsOf(left).length).toBe(samples);
      expect((itemsOf(left)[0] as Sample).i).toBe(droppedItems);
      expect(outbox.stats().telemetry.dropped).toBe(next - 1);
      // Each drop is also published as a data.dropped event. Those events age like any message:
      // the ones still stored are the latest reports, and older ones went in a reported events drop.
      const events = itemsOf(drainAll(outbox, 'events')) as Array<Record<string, unknown>>;
      const published = events.filter((e) => e.type === 'data.dropped' && e.stream === 'telemetry');
      expect(published.length).toBeGreaterThan(0);
      expect(published).toEqual(
        telemetryDrops
          .slice(-published.length)
          .map((r) => ({ ...r, type: 'data.dropped', t: expect.any(Number) })),
      );
      if (published.length < telemetryDrops.length)
        expect(reports.some((r) => r.stream === 'events')).toBe(true);
    });

    it('seals messages up to the broker cap, counting UTF-8 bytes, and refuses an item that cannot fit', async () => {
      const outbox = await openOutbox(newDir(), { batch: { maxItems: 10_000, maxBytes: MAX_MESSAGE_BYTES } });
      const text = 'é'.repeat(3000);
      for (let i = 0; i < 200; i++) outbox.append('telemetry', { i, text });
      expect(() => outbox.append('telemetry', { text: 'x'.repeat(MAX_MESSAGE_BYTES) })).toThrow(RangeError);
      expect(() => outbox.append('telemetry', undefined)).toThrow(TypeError);
      await outbox.flush();
      const messages = drainAll(outbox, 'telemetry');
      const sizes = messages.map((m) => Buffer.byteLength(encodePayload(m)));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(sizes[0]).toBeGreaterThan(MAX_MESSAGE_BYTES - 6100);
      expect(itemsOf(messages)).toHaveLength(200);
      expect((itemsOf(messages)[199] as { text: string }).text).toBe(text);
    });

    it.each(['strict', 'fsync', 'os'] as const)(
      'works under the %s durability policy',
      async (durability) => {
        const dir = newDir();
        const outbox = await openOutbox(dir, { durability, batch: { maxItems: 3 } });
        appendSamples(outbox, 0, 9);
        if (durability === 'strict') expect(outbox.next('telemetry', 0, 10)).toHaveLength(3);
        await outbox.close();
        const reopened = await openOutbox(dir, { durability });
        expect(drainAll(reopened, 'telemetry').map((m) => m.seq)).toEqual([1, 2, 3]);
      },
    );
  });
}
