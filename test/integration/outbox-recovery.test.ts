/**
 * Recovery of the segment log from damaged files: a torn last record (power cut
 * mid-append) is truncated and forgotten; a corrupt record inside the log is cut out
 * and reported once as data.dropped.
 */
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DroppedRange, Outbox, type OutboxOptions } from '../../src/outbox/index.js';
import { decodeSegment, FRAME_HEADER_BYTES } from '../../src/outbox/segment-format.js';
import { drainAll, itemsOf } from '../contract/outbox-store.contract.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  outbox: Outbox;
  warnings: string[];
  dropped: DroppedRange[];
}

async function openLog(dir: string, options: Partial<OutboxOptions> = {}): Promise<Opened> {
  const warnings: string[] = [];
  const dropped: DroppedRange[] = [];
  const outbox = await Outbox.open({
    dir,
    store: 'segment-log',
    batch: { maxItems: 1 },
    maxStoredBytes: 1 << 20,
    log: { warn: (_detail, message) => warnings.push(message) },
    onDropped: (r) => dropped.push(r),
    ...options,
  });
  return { outbox, warnings, dropped };
}

/** A log of `count` one-item telemetry messages (seq k holds item k - 1), spread over several segments. */
async function writeLog(count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-recovery-'));
  dirs.push(dir);
  const { outbox } = await openLog(dir);
  for (let i = 0; i < count; i++) outbox.append('telemetry', { i, pad: 'p'.repeat(3000) });
  await outbox.close();
  return dir;
}

const segments = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort()
    .map((n) => join(dir, n));

function lastFrame(path: string) {
  return decodeSegment(readFileSync(path)).frames.at(-1)!;
}

describe('segment log: torn last record', () => {
  const damages: Array<[string, (path: string) => void]> = [
    ['cut inside the length field', (path) => truncateSync(path, lastFrame(path).offset + 2)],
    ['cut inside the body', (path) => truncateSync(path, statSync(path).size - 100)],
    [
      'a flipped byte in the last record (bad CRC)',
      (path) => {
        const data = readFileSync(path);
        data[data.length - 10]! ^= 0x20;
        writeFileSync(path, data);
      },
    ],
    ['zeros after the last record', (path) => appendFileSync(path, Buffer.alloc(3000))],
  ];

  it.each(damages)('%s: truncated, logged, everything before kept, seq reused', async (name, damage) => {
    const dir = await writeLog(300);
    const last = segments(dir).at(-1)!;
    const keepBytes = name.startsWith('zeros') ? statSync(last).size : lastFrame(last).offset;
    const keptMessages = name.startsWith('zeros') ? 300 : 299;
    damage(last);

    const { outbox, warnings, dropped } = await openLog(dir);
    expect(warnings.some((w) => w.includes('torn record'))).toBe(true);
    expect(dropped).toEqual([]);
    expect(statSync(last).size).toBe(keepBytes);
    const messages = drainAll(outbox, 'telemetry');
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: keptMessages }, (_, k) => k + 1));
    outbox.append('telemetry', { i: keptMessages });
    await outbox.flush();
    expect(outbox.next('telemetry', keptMessages, 5).map((m) => m.seq)).toEqual([keptMessages + 1]);
    await outbox.close();

    const again = await openLog(dir);
    expect(again.warnings).toEqual([]);
    expect(drainAll(again.outbox, 'telemetry')).toHaveLength(keptMessages + 1);
    await again.outbox.close();
  });
});

describe('segment log: corrupt record inside the log', () => {
  it('cuts it out, keeps what is before and after, and reports its seq once as data.dropped', async () => {
    const dir = await writeLog(300);
    const [first] = segments(dir);
    const frames = decodeSegment(readFileSync(first!)).frames;
    const victim = frames[10]!;
    const data = readFileSync(first!);
    data[victim.offset + FRAME_HEADER_BYTES + 40]! ^= 0x01;
    writeFileSync(first!, data);

    const { outbox, warnings, dropped } = await openLog(dir);
    expect(warnings.some((w) => w.includes('corrupt records'))).toBe(true);
    expect(dropped).toEqual([
      { stream: 'telemetry', firstSeq: victim.seq, lastSeq: victim.seq, items: undefined, reason: 'corrupt' },
    ]);
    const seqs = drainAll(outbox, 'telemetry').map((m) => m.seq);
    expect(seqs).toHaveLength(299);
    expect(seqs).not.toContain(victim.seq);
    await outbox.flush();
    const [event] = itemsOf(drainAll(outbox, 'events'));
    expect(event).toMatchObject({
      type: 'data.dropped',
      stream: 'telemetry',
      firstSeq: victim.seq,
      reason: 'corrupt',
    });
    // Acks can still move past the hole, and the log shrinks.
    for (const seq of seqs) outbox.ack('telemetry', seq);
    await outbox.flush();
    expect(outbox.stats().telemetry.messages).toBe(0);
    await outbox.close();

    const again = await openLog(dir);
    expect(again.dropped).toEqual([]);
    expect(again.warnings).toEqual([]);
    await again.outbox.close();
  });

  it('recovers from an unreadable state file by reading the segments', async () => {
    const dir = await writeLog(20);
    writeFileSync(join(dir, 'state.json'), '{"vers');
    const { outbox, warnings } = await openLog(dir);
    expect(warnings.some((w) => w.includes('state file unreadable'))).toBe(true);
    expect(drainAll(outbox, 'telemetry')).toHaveLength(20);
    await outbox.close();
  });
});
