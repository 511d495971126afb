import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from './crc32.js';
import {
  decodeMessage,
  decodeSegment,
  decodeState,
  encodeAck,
  encodeMessage,
  encodeState,
  FRAME_HEADER_BYTES,
} from './segment-format.js';
import { planRecovery } from './segment-recovery.js';
import type { SealedMessage } from './types.js';

const message = (seq: number, stream: 'telemetry' | 'events' = 'telemetry'): SealedMessage => ({
  stream,
  seq,
  bootId: 'b0c1',
  createdAt: 1764300000000 + seq,
  items: 2,
  body: `[{"i":${seq},"t":"±é"},{"i":${seq}}]`,
});

describe('crc32', () => {
  it('is the IEEE CRC-32, table-driven or from zlib alike', () => {
    const check = Buffer.from('123456789');
    expect(crc32Table(check)).toBe(0xcbf43926);
    expect(crc32(check)).toBe(0xcbf43926);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
    expect(crc32Table(random)).toBe(crc32(random));
    expect(crc32Table(Buffer.alloc(0))).toBe(0);
  });
});

describe('frames', () => {
  it('round-trip messages (large seqs, UTF-8) and acks', () => {
    const big = { ...message(2 ** 40 + 3), createdAt: 2 ** 45 };
    const data = Buffer.concat([
      encodeMessage(big),
      encodeAck('events', 2 ** 33),
      encodeMessage(message(7, 'events')),
    ]);
    const { frames, damage } = decodeSegment(data);
    expect(damage).toEqual([]);
    expect(frames.map((f) => [f.kind, f.stream, f.seq])).toEqual([
      ['message', 'telemetry', 2 ** 40 + 3],
      ['ack', 'events', 2 ** 33],
      ['message', 'events', 7],
    ]);
    const first = frames[0]!;
    expect(decodeMessage(data.subarray(first.offset, first.offset + first.size))).toEqual(big);
  });

  it('classify a cut or flipped last record as damage running to the end', () => {
    const good = Buffer.concat([encodeMessage(message(1)), encodeMessage(message(2))]);
    const last = encodeMessage(message(3));
    const whole = Buffer.concat([good, last]);
    const flipped = Buffer.from(whole);
    flipped[whole.length - 3]! ^= 0x40;
    for (const data of [whole.subarray(0, good.length + 2), whole.subarray(0, whole.length - 4), flipped]) {
      const { frames, damage } = decodeSegment(data);
      expect(frames.map((f) => f.seq)).toEqual([1, 2]);
      expect(damage).toEqual([{ start: good.length, end: data.length }]);
    }
  });

  it('resume after a corrupt record at the next intact frame', () => {
    const parts = [1, 2, 3, 4].map((seq) => encodeMessage(message(seq)));
    const data = Buffer.concat(parts);
    const start = parts[0]!.length;
    data[start + FRAME_HEADER_BYTES + 30]! ^= 0xff;
    const { frames, damage } = decodeSegment(data);
    expect(frames.map((f) => f.seq)).toEqual([1, 3, 4]);
    expect(damage).toEqual([{ start, end: start + parts[1]!.length }]);
  });

  it('read the state file back and reject a foreign one', () => {
    expect(decodeState(encodeState({ telemetry: 12, events: 3 }))).toEqual({ telemetry: 12, events: 3 });
    expect(() => decodeState('{"version":2}')).toThrow();
    expect(() => decodeState('{"version":1,"removedThrough":{"telemetry":-1,"events":0}}')).toThrow();
  });
});

describe('recovery plan', () => {
  const segment = (id: number, data: Buffer) => ({ id, size: data.length, decoded: decodeSegment(data) });

  it('truncates a torn tail without reporting it, and lets its seq be reused', () => {
    const data = Buffer.concat([encodeMessage(message(1)), encodeMessage(message(2)).subarray(0, 20)]);
    const plan = planRecovery([segment(1, data)], { telemetry: 0, events: 0 });
    expect(plan.segments[0]!.repair).toMatchObject({
      kind: 'truncate',
      size: encodeMessage(message(1)).length,
    });
    expect(plan.dropped).toEqual([]);
    expect(plan.lastSeq.telemetry).toBe(1);
  });

  it('rewrites around corruption and reports exactly the seqs lost in it, per stream', () => {
    const parts = [message(1), message(1, 'events'), message(2), message(2, 'events'), message(3)].map(
      encodeMessage,
    );
    const first = Buffer.concat(parts);
    first[parts[0]!.length + parts[1]!.length + FRAME_HEADER_BYTES + 3]! ^= 1; // telemetry 2
    const second = Buffer.concat([encodeAck('telemetry', 1), encodeMessage(message(3, 'events'))]);
    const plan = planRecovery([segment(1, first), segment(2, second)], { telemetry: 0, events: 0 });
    expect(plan.dropped).toEqual([
      { stream: 'telemetry', firstSeq: 2, lastSeq: 2, items: undefined, reason: 'corrupt' },
    ]);
    const [one, two] = plan.segments;
    expect(one!.repair.kind).toBe('rewrite');
    expect(one!.messages.map((m) => [m.stream, m.seq, m.offset])).toEqual([
      ['telemetry', 1, 0],
      ['events', 1, parts[0]!.length],
      ['events', 2, parts[0]!.length + parts[1]!.length],
      ['telemetry', 3, parts[0]!.length + parts[1]!.length + parts[3]!.length],
    ]);
    expect(two!.repair.kind).toBe('keep');
    expect(plan.removedThrough).toEqual({ telemetry: 1, events: 0 });
    expect(plan.lastSeq).toEqual({ telemetry: 3, events: 3 });
  });

  it('keeps the seq counter of the state file when the segments are gone', () => {
    const plan = planRecovery([], { telemetry: 40, events: 2 });
    expect(plan.lastSeq).toEqual({ telemetry: 40, events: 2 });
  });
});
