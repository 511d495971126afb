/**
 * The hand-written store: an append-only log of segment files (the only module of
 * the outbox that touches its files). Both streams share one log so that one
 * fdatasync per group commit covers everything; a small in-memory index (one entry
 * per message, not per sample) locates each message for `read`.
 *
 * Files in the directory:
 *   0000000000000001.seg …   segments, frames as in segment-format.ts, appended only
 *   state.json               how far each stream was removed; rewritten atomically
 *                            (temp + fsync + rename + fsync dir) before a segment is deleted,
 *                            so the seq counter survives the segments that carried it.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type IndexedSegment, MessageIndex } from './message-index.js';
import {
  decodeMessage,
  decodeSegment,
  decodeState,
  encodeAck,
  encodeMessage,
  encodeState,
} from './segment-format.js';
import { type PlannedSegment, planRecovery } from './segment-recovery.js';
import {
  type CommitGroup,
  type DroppedRange,
  type OutboxStore,
  perStream,
  type Recovery,
  type SealedMessage,
  STREAMS,
  type StoreOptions,
  type Stream,
  type StreamStats,
} from './types.js';

const fdatasyncAsync = promisify(fs.fdatasync);
const fsyncAsync = promisify(fs.fsync);

export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{16})\.seg$/;
const STATE_FILE = 'state.json';
const TEMP_SUFFIX = '.tmp';

interface Segment extends IndexedSegment {
  readonly id: number;
  readonly path: string;
  size: number;
  readFd?: number;
  /** Open while appended to, and after that until the appended bytes are synced. */
  writeFd?: number;
  dirty: boolean;
}

export interface SegmentLogOptions extends StoreOptions {
  /** Segments roll over past this size; default 4 MiB, smaller when maxStoredBytes is small. */
  segmentBytes?: number;
}

export function openSegmentLog(options: SegmentLogOptions): SegmentLogStore {
  return new SegmentLogStore(options);
}

export class SegmentLogStore implements OutboxStore {
  syncCalls = 0;
  readonly recovery: Recovery;
  private readonly dir: string;
  private readonly fsyncs: boolean;
  private readonly segmentBytes: number;
  private readonly dirFd: number;
  private readonly segments: Segment[] = [];
  private readonly index = new MessageIndex<Segment>();
  private readonly removed: Record<Stream, number>;
  private bytes = 0;
  private dirDirty = false;

  constructor(options: SegmentLogOptions) {
    this.dir = options.dir;
    this.fsyncs = options.durability !== 'os';
    this.segmentBytes =
      options.segmentBytes ??
      Math.max(64 * 1024, Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(options.maxStoredBytes / 8)));
    fs.mkdirSync(this.dir, { recursive: true });
    this.dirFd = fs.openSync(this.dir, 'r');
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith(TEMP_SUFFIX)) fs.unlinkSync(join(this.dir, name));
    }

    const ids = fs
      .readdirSync(this.dir)
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    // Decoded one at a time through one reused buffer, and kept as frame positions only:
    // a large backlog never sits in memory, not even as garbage awaiting collection.
    let buffer = Buffer.allocUnsafe(0);
    const onDisk = ids.map((id) => {
      const fd = fs.openSync(this.segmentPath(id), 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (buffer.length < size) buffer = Buffer.allocUnsafe(size);
        readFully(fd, buffer, size);
        return { id, size, decoded: decodeSegment(buffer.subarray(0, size)) };
      } finally {
        fs.closeSync(fd);
      }
    });
    const plan = planRecovery(onDisk, this.readState(options));
    for (const planned of plan.segments) this.adopt(planned, options);
    this.removed = plan.removedThrough;
    for (const s of STREAMS) this.index.removeThrough(s, this.removed[s]);
    this.recovery = { lastSeq: plan.lastSeq, removedThrough: { ...this.removed }, dropped: plan.dropped };

    const last = this.segments.at(-1);
    if (last && last.size < this.segmentBytes) last.writeFd = fs.openSync(last.path, 'a');
    else this.roll();
    // A predecessor killed between write and fsync left its last group in the page cache only
    // (possibly across a roll): sync it before anything in it is offered for publishing.
    if (this.fsyncs) {
      const written = this.segments.filter((s) => s.size > 0).slice(-2);
      for (const segment of written) {
        segment.readFd ??= fs.openSync(segment.path, 'r');
        fs.fdatasyncSync(segment.readFd);
      }
      fs.fsyncSync(this.dirFd);
      this.syncCalls += written.length + 1;
    }
    this.dirDirty = false;
  }

  write(group: CommitGroup): void {
    const frames: Array<{ bytes: Buffer; message?: SealedMessage }> = group.messages.map((message) => ({
      bytes: encodeMessage(message),
      message,
    }));
    for (const s of STREAMS) {
      const through = group.removeThrough[s];
      if (through !== undefined && through > this.removed[s]) {
        frames.push({ bytes: encodeAck(s, through) });
        this.removed[s] = through;
        this.index.removeThrough(s, through);
      }
    }
    // Rolling only between frames: a frame larger than a segment gets a segment of its own.
    let pending: typeof frames = [];
    let pendingBytes = 0;
    for (const frame of frames) {
      const used = this.active().size + pendingBytes;
      if (used > 0 && used + frame.bytes.length > this.segmentBytes) {
        if (pending.length > 0) this.append(this.active(), pending);
        pending = [];
        pendingBytes = 0;
        if (this.active().size > 0) this.roll();
      }
      pending.push(frame);
      pendingBytes += frame.bytes.length;
    }
    if (pending.length > 0) this.append(this.active(), pending);
  }

  async sync(): Promise<void> {
    const { segments, dir } = this.takeSyncWork();
    try {
      await Promise.all(segments.map((s) => fdatasyncAsync(s.writeFd!)));
      if (dir) await fsyncAsync(this.dirFd);
    } catch (error) {
      this.giveBackSyncWork(segments, dir);
      throw error;
    }
    this.finishSync(segments, dir);
  }

  syncNow(): void {
    const { segments, dir } = this.takeSyncWork();
    try {
      for (const s of segments) fs.fdatasyncSync(s.writeFd!);
      if (dir) fs.fsyncSync(this.dirFd);
    } catch (error) {
      this.giveBackSyncWork(segments, dir);
      throw error;
    }
    this.finishSync(segments, dir);
  }

  read(stream: Stream, afterSeq: number, limit: number): SealedMessage[] {
    return this.index.after(stream, afterSeq, limit).map((entry) => {
      const bytes = Buffer.allocUnsafe(entry.size);
      entry.segment.readFd ??= fs.openSync(entry.segment.path, 'r');
      fs.readSync(entry.segment.readFd, bytes, 0, entry.size, entry.offset);
      return decodeMessage(bytes);
    });
  }

  storedBytes(): number {
    return this.bytes;
  }

  /** Deletes fully removed leading segments, then drops the oldest ones while over the bound. */
  trim(maxBytes: number): DroppedRange[] {
    let keepFrom = 0;
    const dropped: DroppedRange[] = [];
    const removable = (segment: Segment) => STREAMS.every((s) => segment.newest[s] <= this.removed[s]);
    let over = this.bytes - maxBytes;
    for (; keepFrom < this.segments.length - 1; keepFrom++) {
      const segment = this.segments[keepFrom]!;
      if (segment.writeFd !== undefined) break;
      if (!removable(segment)) {
        if (over <= 0) break;
        for (const s of STREAMS) this.dropForLimit(s, segment, dropped);
      }
      over -= segment.size;
    }
    if (keepFrom > 0) this.deleteLeading(keepFrom);
    return dropped;
  }

  stats(stream: Stream): StreamStats {
    return this.index.stats(stream);
  }

  close(): void {
    for (const segment of this.segments) closeFds(segment);
    fs.closeSync(this.dirFd);
  }

  private segmentPath(id: number): string {
    return join(this.dir, `${String(id).padStart(16, '0')}.seg`);
  }

  private active(): Segment {
    return this.segments.at(-1)!;
  }

  private readState(options: StoreOptions): Record<Stream, number> {
    const path = join(this.dir, STATE_FILE);
    if (!fs.existsSync(path)) return perStream(0);
    try {
      return decodeState(fs.readFileSync(path, 'utf8'));
    } catch (error) {
      // The segments still carry their seqs and ack records; only fully deleted history is unknown.
      options.log.warn({ path, error: String(error) }, 'outbox: state file unreadable; using the segments');
      return perStream(0);
    }
  }

  /** Repairs a segment as planned and takes it into the index. */
  private adopt(planned: PlannedSegment, options: StoreOptions): void {
    const path = this.segmentPath(planned.id);
    const { repair } = planned;
    if (repair.kind === 'truncate') {
      const detail = { path, offset: repair.size, bytes: repair.tail.end - repair.tail.start };
      options.log.warn(detail, 'outbox: torn record at the end of a segment (interrupted write); truncated');
      fs.truncateSync(path, repair.size);
    } else if (repair.kind === 'rewrite') {
      options.log.warn({ path, damage: repair.damage }, 'outbox: corrupt records in a segment; cut out');
      const data = fs.readFileSync(path);
      const kept = repair.copy.map((f) => data.subarray(f.offset, f.offset + f.size));
      this.writeFileAtomic(path, Buffer.concat(kept));
    }
    const segment: Segment = { id: planned.id, path, size: planned.size, newest: perStream(0), dirty: false };
    this.segments.push(segment);
    this.bytes += planned.size;
    for (const m of planned.messages) {
      this.index.add(m.stream, { seq: m.seq, segment, offset: m.offset, size: m.size, items: m.items });
    }
  }

  private append(segment: Segment, frames: ReadonlyArray<{ bytes: Buffer; message?: SealedMessage }>): void {
    const data = frames.length === 1 ? frames[0]!.bytes : Buffer.concat(frames.map((f) => f.bytes));
    try {
      for (let done = 0; done < data.length; ) done += fs.writeSync(segment.writeFd!, data, done);
    } catch (error) {
      // All or nothing, so that the outbox can retry the group without duplicating frames.
      fs.ftruncateSync(segment.writeFd!, segment.size);
      throw error;
    }
    let offset = segment.size;
    for (const { bytes, message } of frames) {
      if (message) {
        this.index.add(message.stream, {
          seq: message.seq,
          segment,
          offset,
          size: bytes.length,
          items: message.items,
        });
      }
      offset += bytes.length;
    }
    segment.size += data.length;
    // Ack records alone need no fsync: losing one only means a message is sent again.
    segment.dirty ||= this.fsyncs && frames.some((f) => f.message);
    this.bytes += data.length;
  }

  private roll(): void {
    const previous = this.segments.at(-1);
    const id = (previous?.id ?? 0) + 1;
    const path = this.segmentPath(id);
    this.segments.push({
      id,
      path,
      size: 0,
      newest: perStream(0),
      writeFd: fs.openSync(path, 'a'),
      dirty: false,
    });
    this.dirDirty = true;
    if (previous && !previous.dirty) closeWriteFd(previous);
  }

  private takeSyncWork(): { segments: Segment[]; dir: boolean } {
    if (!this.fsyncs) return { segments: [], dir: false };
    const segments = this.segments.filter((s) => s.dirty);
    const dir = this.dirDirty;
    for (const s of segments) s.dirty = false;
    this.dirDirty = false;
    return { segments, dir };
  }

  private giveBackSyncWork(segments: Segment[], dir: boolean): void {
    for (const s of segments) s.dirty = true;
    this.dirDirty ||= dir;
  }

  private finishSync(segments: Segment[], dir: boolean): void {
    this.syncCalls += segments.length + (dir ? 1 : 0);
    for (const s of segments) if (s !== this.active() && !s.dirty) closeWriteFd(s);
  }

  /** Drops the stream's messages in `segment` (the oldest left), merging into the stream's report. */
  private dropForLimit(stream: Stream, segment: Segment, dropped: DroppedRange[]): void {
    const taken = this.index.takeLeading(stream, segment);
    if (taken) {
      const at = dropped.findIndex((d) => d.stream === stream);
      const previous = dropped[at];
      const range: DroppedRange = {
        stream,
        firstSeq: previous?.firstSeq ?? taken.firstSeq,
        lastSeq: taken.lastSeq,
        items: (previous?.items ?? 0) + taken.items,
        reason: 'limit',
      };
      if (previous) dropped[at] = range;
      else dropped.push(range);
    }
    this.removed[stream] = Math.max(this.removed[stream], segment.newest[stream]);
  }

  private deleteLeading(count: number): void {
    // The state file first: once a segment is gone, only it remembers how far its streams went.
    this.writeFileAtomic(join(this.dir, STATE_FILE), Buffer.from(encodeState(this.removed)));
    for (const segment of this.segments.splice(0, count)) {
      closeFds(segment);
      fs.unlinkSync(segment.path);
      this.bytes -= segment.size;
    }
  }

  private writeFileAtomic(path: string, data: Buffer): void {
    const temp = path + TEMP_SUFFIX;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeFileSync(fd, data);
      if (this.fsyncs) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, path);
    if (this.fsyncs) {
      fs.fsyncSync(this.dirFd);
      this.syncCalls += 2;
    }
  }
}

function readFully(fd: number, buffer: Buffer, size: number): void {
  for (let done = 0; done < size; ) {
    const n = fs.readSync(fd, buffer, done, size - done, done);
    if (n === 0) throw new Error('outbox: segment shorter than its size while read');
    done += n;
  }
}

function closeWriteFd(segment: Segment): void {
  if (segment.writeFd !== undefined) fs.closeSync(segment.writeFd);
  segment.writeFd = undefined;
}

function closeFds(segment: Segment): void {
  closeWriteFd(segment);
  if (segment.readFd !== undefined) fs.closeSync(segment.readFd);
  segment.readFd = undefined;
}
