/**
 * The outbox's sizing promise: a backlog of 1,000,000 samples (about 60 bytes each as
 * JSON) fits the default byte bound, survives a reopen and drains in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DroppedRange, Outbox, type StoreKind } from '../../src/outbox/index.js';

const SAMPLES = 1_000_000;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(['segment-log', 'sqlite'] as StoreKind[])(
  'outbox %s with a 1,000,000-sample backlog',
  (store) => {
    it('holds it within the default bound, reopens, and drains it all in order', {
      timeout: 60_000,
    }, async () => {
      const dir = mkdtempSync(join(tmpdir(), `outbox-million-${store}-`));
      dirs.push(dir);
      const dropped: DroppedRange[] = [];
      const writer = await Outbox.open({ dir, store, onDropped: (r) => dropped.push(r) });
      for (let i = 0; i < SAMPLES; i++) {
        writer.append('telemetry', {
          d: 'chamber',
          c: 'temperature',
          t: 1764300000000 + i * 100,
          v: 23.41,
          i,
        });
      }
      await writer.close();
      expect(dropped).toEqual([]);

      const reader = await Outbox.open({ dir, store });
      expect(reader.stats().telemetry.items).toBe(SAMPLES);
      let expected = 0;
      let seq = 0;
      for (
        let batch = reader.next('telemetry', 0, 50);
        batch.length > 0;
        batch = reader.next('telemetry', seq, 50)
      ) {
        for (const message of batch) {
          expect(message.seq).toBe(seq + 1);
          seq = message.seq;
          for (const sample of JSON.parse(message.body) as Array<{ i: number }>) {
            if (sample.i !== expected) expect(sample.i).toBe(expected);
            expected++;
          }
          reader.ack('telemetry', message.seq);
        }
      }
      expect(expected).toBe(SAMPLES);
      await reader.flush();
      expect(reader.stats().telemetry.messages).toBe(0);
      await reader.close();
    });
  },
);
