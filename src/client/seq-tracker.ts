/**
 * De-duplication and gap detection for one node's stream (`telemetry` or `events`),
 * by the protocol's `seq`: it grows by exactly one per message, never repeats, and
 * survives node restarts. A subscriber sees every seq at least once, in increasing
 * order per connection, and a gap only where the node dropped data and said so in a
 * `data.dropped` event. So: a seq at or below the highest seen is a duplicate
 * (unless it fills a gap still open: a late copy), and a jump is a gap, to be
 * matched with the drops the node reports on its events stream, which may come
 * before or after the gap is seen (the two streams are published independently).
 */
import type { WireEvent } from '../protocol/index.js';

export type StreamName = 'telemetry' | 'events';

export interface SeqRange {
  firstSeq: number;
  lastSeq: number;
}

export type Verdict =
  | { kind: 'new'; gap?: SeqRange }
  /** A seq inside a gap still open: delivered, and the gap shrinks. */
  | { kind: 'late' }
  | { kind: 'duplicate' }
  /** Seqs started again below what was seen, from a run never seen before: the node's data directory was replaced. */
  | { kind: 'reset'; previousHighest: number };

/** The largest `outbox.inFlight` a node accepts: how far below its newest a resent message can be. */
const RESEND_WINDOW = 1000;
/** Open gaps kept per stream; older ones are forgotten (and counted) past this. */
const MAX_OPEN_GAPS = 1000;

export class SeqTracker {
  private highest: number | undefined;
  private readonly bootIds = new Set<string>();
  private gaps: SeqRange[] = [];
  forgottenGaps = 0;

  /** `after`: the last seq this consumer already processed (e.g. persisted before a restart), so a gap after it is seen. */
  constructor(after?: number) {
    this.highest = after;
  }

  get highestSeq(): number | undefined {
    return this.highest;
  }

  openGaps(): readonly SeqRange[] {
    return this.gaps;
  }

  accept(seq: number, bootId: string): Verdict {
    const newRun = !this.bootIds.has(bootId);
    this.bootIds.add(bootId);
    if (this.highest === undefined || seq === this.highest + 1) {
      this.highest = seq;
      return { kind: 'new' };
    }
    if (seq > this.highest) {
      const gap = { firstSeq: this.highest + 1, lastSeq: seq - 1 };
      this.gaps.push(gap);
      if (this.gaps.length > MAX_OPEN_GAPS) {
        this.gaps.shift();
        this.forgottenGaps++;
      }
      this.highest = seq;
      return { kind: 'new', gap };
    }
    if (this.fill(seq)) return { kind: 'late' };
    // Seqs never repeat, so seqs below ours from a run we have not seen mean counting began again —
    // unless they are a resend of a backlog (sealed by an earlier run): the node resends at most its
    // in-flight window (`outbox.inFlight`, at most 1000) below what it published last.
    if (newRun && this.bootIds.size > 1 && (seq === 1 || this.highest - seq > RESEND_WINDOW)) {
      const previousHighest = this.highest;
      this.highest = seq;
      this.gaps = [];
      return { kind: 'reset', previousHighest };
    }
    return { kind: 'duplicate' };
  }

  /** Drops `range` from the open gaps (they are explained, or given up on). */
  close(range: SeqRange): void {
    this.gaps = this.gaps.flatMap((g) => subtract(g, range));
  }

  private fill(seq: number): boolean {
    const at = this.gaps.findIndex((g) => g.firstSeq <= seq && seq <= g.lastSeq);
    if (at < 0) return false;
    this.gaps.splice(at, 1, ...subtract(this.gaps[at]!, { firstSeq: seq, lastSeq: seq }));
    return true;
  }
}

function subtract(gap: SeqRange, range: SeqRange): SeqRange[] {
  if (range.lastSeq < gap.firstSeq || range.firstSeq > gap.lastSeq) return [gap];
  const out: SeqRange[] = [];
  if (gap.firstSeq < range.firstSeq) out.push({ firstSeq: gap.firstSeq, lastSeq: range.firstSeq - 1 });
  if (range.lastSeq < gap.lastSeq) out.push({ firstSeq: range.lastSeq + 1, lastSeq: gap.lastSeq });
  return out;
}

/** The `data.dropped` event (docs/protocol.md): `stream`, `items` and `reason` extend the contract's first and last seq. */
export interface DroppedEvent extends WireEvent {
  type: 'data.dropped';
  stream?: StreamName;
  firstSeq: number;
  lastSeq: number;
  items?: number;
  reason?: string;
}

export function isDroppedEvent(event: WireEvent): event is DroppedEvent {
  return (
    event.type === 'data.dropped' &&
    Number.isSafeInteger(event.firstSeq) &&
    Number.isSafeInteger(event.lastSeq) &&
    (event.firstSeq as number) <= (event.lastSeq as number)
  );
}

/** The ranges a node said it dropped, merged, per stream: which of a gap they cover. */
export class DropLedger {
  private ranges: SeqRange[] = [];

  add(range: SeqRange): void {
    const all = [...this.ranges, { ...range }].sort((a, b) => a.firstSeq - b.firstSeq);
    const merged: SeqRange[] = [];
    for (const r of all) {
      const last = merged.at(-1);
      if (last && r.firstSeq <= last.lastSeq + 1) last.lastSeq = Math.max(last.lastSeq, r.lastSeq);
      else merged.push({ ...r });
    }
    this.ranges = merged;
  }

  covers(gap: SeqRange): boolean {
    return this.ranges.some((r) => r.firstSeq <= gap.firstSeq && gap.lastSeq <= r.lastSeq);
  }
}
