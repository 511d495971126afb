/**
 * Where each stored message of the segment log is: one entry per message (not per
 * sample), per stream in seq order. Pure bookkeeping; the files are segment-log.ts's.
 */
import type { Stream, StreamStats } from './types.js';

export interface IndexedSegment {
  /** Newest message seq per stream in the segment; 0 when it holds none of the stream. */
  readonly newest: Record<Stream, number>;
}

export interface IndexEntry<S extends IndexedSegment> {
  readonly seq: number;
  readonly segment: S;
  readonly offset: number;
  readonly size: number;
  readonly items: number;
}

export class MessageIndex<S extends IndexedSegment> {
  private readonly entries: Record<Stream, IndexEntry<S>[]> = { telemetry: [], events: [] };

  add(stream: Stream, entry: IndexEntry<S>): void {
    this.entries[stream].push(entry);
    entry.segment.newest[stream] = entry.seq;
  }

  removeThrough(stream: Stream, seq: number): void {
    const entries = this.entries[stream];
    entries.splice(0, firstAfter(entries, seq));
  }

  after(stream: Stream, afterSeq: number, limit: number): IndexEntry<S>[] {
    const entries = this.entries[stream];
    const from = firstAfter(entries, afterSeq);
    return entries.slice(from, from + limit);
  }

  /** Removes the stream's oldest entries as long as they lie in `segment`; what they were, if any. */
  takeLeading(stream: Stream, segment: S): { firstSeq: number; lastSeq: number; items: number } | undefined {
    const entries = this.entries[stream];
    let n = 0;
    let items = 0;
    while (n < entries.length && entries[n]!.segment === segment) items += entries[n++]!.items;
    if (n === 0) return undefined;
    const taken = { firstSeq: entries[0]!.seq, lastSeq: entries[n - 1]!.seq, items };
    entries.splice(0, n);
    return taken;
  }

  stats(stream: Stream): StreamStats {
    const entries = this.entries[stream];
    let bytes = 0;
    let items = 0;
    for (const e of entries) {
      bytes += e.size;
      items += e.items;
    }
    return {
      messages: entries.length,
      bytes,
      items,
      oldestSeq: entries[0]?.seq ?? 0,
      newestSeq: entries.at(-1)?.seq ?? 0,
    };
  }
}

/** Index of the first entry with seq > `seq` (entries are in seq order). */
function firstAfter(entries: ReadonlyArray<{ seq: number }>, seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
