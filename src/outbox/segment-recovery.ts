/**
 * Recovery of the segment log, decided without I/O: from the decoded segments and
 * the state file, what to keep, what to repair and what to report as lost.
 *
 * - Damage that runs to the end of a segment with no intact frame after it is a torn
 *   write (power cut mid-append): the segment is truncated before it. Those records
 *   were never fsynced, so never visible to a publisher, and their seqs may be reused.
 * - Damage followed by intact frames is corruption of data that may have been
 *   published: the segment is rewritten without it, and every seq that went missing
 *   across it is reported (reason `corrupt`, item count unknown). The repair makes
 *   the report happen once.
 */
import type { Damage, DecodedSegment, FrameInfo } from './segment-format.js';
import { type DroppedRange, perStream, STREAMS, type Stream } from './types.js';

export interface SegmentOnDisk {
  id: number;
  size: number;
  decoded: DecodedSegment;
}

export type Repair =
  | { kind: 'keep' }
  | { kind: 'truncate'; size: number; tail: Damage }
  /** Copy the listed frames, in order, into a fresh file; `damage` is what goes. */
  | { kind: 'rewrite'; copy: FrameInfo[]; damage: Damage[] };

export interface PlannedSegment {
  id: number;
  repair: Repair;
  /** Size once repaired. */
  size: number;
  /** Message frames to index, with their offsets in the repaired file. */
  messages: Extract<FrameInfo, { kind: 'message' }>[];
}

export interface RecoveryPlan {
  segments: PlannedSegment[];
  lastSeq: Record<Stream, number>;
  removedThrough: Record<Stream, number>;
  dropped: DroppedRange[];
}

function repairFor(segment: SegmentOnDisk): { repair: Repair; size: number; frames: FrameInfo[] } {
  const { frames, damage } = segment.decoded;
  const last = damage.at(-1);
  if (!last) return { repair: { kind: 'keep' }, size: segment.size, frames };
  if (damage.length === 1 && last.end === segment.size) {
    return { repair: { kind: 'truncate', size: last.start, tail: last }, size: last.start, frames };
  }
  let offset = 0;
  const moved = frames.map((f) => {
    const relocated = { ...f, offset };
    offset += f.size;
    return relocated;
  });
  return { repair: { kind: 'rewrite', copy: frames, damage }, size: offset, frames: moved };
}

export function planRecovery(
  segments: readonly SegmentOnDisk[],
  stateRemoved: Record<Stream, number>,
): RecoveryPlan {
  const removedThrough = { ...stateRemoved };
  const lastSeq = { ...stateRemoved };
  const newestMessage = perStream(0);
  const dropped: DroppedRange[] = [];
  // Set when damage was crossed: the stream's next message shows whether seqs went missing in it.
  const crossedDamage = { telemetry: false, events: false };
  const crossDamage = () => {
    for (const s of STREAMS) crossedDamage[s] = true;
  };

  const planned = segments.map((segment): PlannedSegment => {
    const { repair, size, frames } = repairFor(segment);
    const damage = segment.decoded.damage;
    let nextDamage = 0;
    const messages: PlannedSegment['messages'] = [];
    frames.forEach((frame, i) => {
      const originalOffset = segment.decoded.frames[i]!.offset;
      for (; nextDamage < damage.length && damage[nextDamage]!.start < originalOffset; nextDamage++)
        crossDamage();
      const s = frame.stream;
      if (frame.kind === 'ack') {
        removedThrough[s] = Math.max(removedThrough[s], frame.seq);
        lastSeq[s] = Math.max(lastSeq[s], frame.seq);
        return;
      }
      // Not a later message: indexing it would duplicate a seq.
      if (frame.seq <= newestMessage[s]) return;
      const known = Math.max(lastSeq[s], removedThrough[s]);
      if (crossedDamage[s] && frame.seq > known + 1) {
        dropped.push({
          stream: s,
          firstSeq: known + 1,
          lastSeq: frame.seq - 1,
          items: undefined,
          reason: 'corrupt',
        });
      }
      crossedDamage[s] = false;
      newestMessage[s] = frame.seq;
      lastSeq[s] = Math.max(lastSeq[s], frame.seq);
      messages.push(frame);
    });
    if (nextDamage < damage.length) crossDamage();
    return { id: segment.id, repair, size, messages };
  });

  return { segments: planned, lastSeq, removedThrough, dropped };
}
