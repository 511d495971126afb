/**
 * The durable store-and-forward outbox: items (samples, events) are grouped into
 * messages, each sealed with the stream's next seq, written to storage in group
 * commits, and offered to the publisher once committed. Batching, seqs, acks and
 * the byte bound live here once; storage is an `OutboxStore`.
 */
import { randomUUID } from 'node:crypto';
import { AckWindow } from './ack-window.js';
import { Batch, type BatchLimits } from './batch.js';
import { MAX_MESSAGE_BYTES, payloadOverhead } from './payload.js';
import {
  type DroppedRange,
  type Durability,
  type OutboxLogger,
  type OutboxStore,
  type SealedMessage,
  STREAMS,
  type StoreFactory,
  type StoreKind,
  type Stream,
  type StreamStats,
} from './types.js';

export interface OutboxOptions {
  dir: string;
  /** Default 'segment-log' (chosen by benchmark, see docs/outbox.md); a factory for tests and tools. */
  store?: StoreKind | StoreFactory;
  /** Default 'fsync'. */
  durability?: Durability;
  /** Group commit period for 'fsync' and 'os'; default 200 ms (at most ~5 data fsyncs a second). */
  commitIntervalMs?: number;
  batch?: Partial<BatchLimits>;
  /** Bound on stored bytes; the oldest messages are dropped past it. Default 256 MiB. */
  maxStoredBytes?: number;
  /** The process's bootId, stamped on every message it seals; default a fresh UUID. */
  bootId?: string;
  onDropped?: (range: DroppedRange) => void;
  log?: OutboxLogger;
  /** Wall clock for createdAt and event times; default Date.now. */
  now?: () => number;
}

export interface OutboxStreamStats extends StreamStats {
  /** Messages dropped (byte bound, corruption) since this outbox was opened. */
  dropped: number;
  /** Items appended and not yet sealed. */
  openItems: number;
}

export const OUTBOX_DEFAULTS = {
  store: 'segment-log' as StoreKind,
  durability: 'fsync' as Durability,
  commitIntervalMs: 200,
  batch: { maxItems: 1000, maxBytes: 64 * 1024, maxAgeMs: 1000 } satisfies BatchLimits,
  maxStoredBytes: 256 * 1024 * 1024,
};

type CommittedListener = (stream: Stream, newestSeq: number) => void;

const stderrLogger: OutboxLogger = {
  warn: (detail, message) => process.stderr.write(`${message} ${JSON.stringify(detail)}\n`),
};

async function storeFactory(kind: StoreKind): Promise<StoreFactory> {
  // Loaded on demand: the native SQLite addon costs memory a Pi running the segment log need not pay.
  if (kind === 'sqlite') return (await import('./sqlite-store.js')).openSqliteStore;
  if (kind === 'segment-log') return (await import('./segment-log.js')).openSegmentLog;
  throw new Error(`unknown outbox store '${String(kind)}'`);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`outbox: ${name} must be a positive integer`);
  return value;
}

interface Resolved {
  durability: Durability;
  commitIntervalMs: number;
  maxStoredBytes: number;
  limits: BatchLimits;
  bootId: string;
  onDropped: ((range: DroppedRange) => void) | undefined;
  log: OutboxLogger;
  now: () => number;
}

function resolve(options: OutboxOptions): Resolved {
  const durability = options.durability ?? OUTBOX_DEFAULTS.durability;
  if (!['strict', 'fsync', 'os'].includes(durability)) throw new RangeError('outbox: unknown durability');
  const limits: BatchLimits = { ...OUTBOX_DEFAULTS.batch, ...options.batch };
  positiveInteger('batch.maxItems', limits.maxItems);
  positiveInteger('batch.maxAgeMs', limits.maxAgeMs);
  if (!(limits.maxBytes <= MAX_MESSAGE_BYTES))
    throw new RangeError(`outbox: batch.maxBytes above ${MAX_MESSAGE_BYTES}`);
  const maxStoredBytes = positiveInteger(
    'maxStoredBytes',
    options.maxStoredBytes ?? OUTBOX_DEFAULTS.maxStoredBytes,
  );
  if (maxStoredBytes < 4 * limits.maxBytes)
    throw new RangeError('outbox: maxStoredBytes below 4 × batch.maxBytes');
  return {
    durability,
    commitIntervalMs: positiveInteger(
      'commitIntervalMs',
      options.commitIntervalMs ?? OUTBOX_DEFAULTS.commitIntervalMs,
    ),
    maxStoredBytes,
    limits,
    bootId: options.bootId ?? randomUUID(),
    onDropped: options.onDropped,
    log: options.log ?? stderrLogger,
    now: options.now ?? Date.now,
  };
}

export class Outbox {
  readonly bootId: string;
  private readonly store: OutboxStore;
  private readonly config: Resolved;
  private readonly batches: Record<Stream, Batch>;
  private readonly ageTimers: Partial<Record<Stream, NodeJS.Timeout>> = {};
  private readonly seq: Record<Stream, number>;
  /** Highest seq handed to the store, and highest known durable under the policy (visible to `next`). */
  private readonly written: Record<Stream, number>;
  private readonly committed: Record<Stream, number>;
  private readonly acks: Record<Stream, AckWindow>;
  private readonly dropped = { telemetry: 0, events: 0 };
  private readonly listeners = new Set<CommittedListener>();
  private pending: SealedMessage[] = [];
  /** Set when a sync failed: written messages wait for a later sync even if nothing new comes. */
  private syncOwed = false;
  private ackMarks: Partial<Record<Stream, number>> = {};
  private commitTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  static async open(options: OutboxOptions): Promise<Outbox> {
    // Checked before the store opens, so that a bad option leaves no file open.
    const config = resolve(options);
    const { durability, maxStoredBytes, log } = config;
    const store = options.store ?? OUTBOX_DEFAULTS.store;
    const factory = typeof store === 'function' ? store : await storeFactory(store);
    return new Outbox(await factory({ dir: options.dir, durability, maxStoredBytes, log }), config);
  }

  private constructor(store: OutboxStore, config: Resolved) {
    this.store = store;
    this.config = config;
    this.bootId = config.bootId;
    this.batches = {
      telemetry: new Batch(payloadOverhead('telemetry', this.bootId), config.limits),
      events: new Batch(payloadOverhead('events', this.bootId), config.limits),
    };
    const { lastSeq, removedThrough, dropped } = store.recovery;
    this.seq = { ...lastSeq };
    this.written = { ...lastSeq };
    this.committed = { ...lastSeq };
    this.acks = {
      telemetry: new AckWindow(removedThrough.telemetry),
      events: new AckWindow(removedThrough.events),
    };
    this.reportDropped(dropped);
    this.reportDropped(this.store.trim(this.config.maxStoredBytes));
  }

  /**
   * Adds one item (a JSON-serialisable object) to the stream's open message. Runs for
   * every sample: it serialises the item now (later changes to the object do not leak
   * into a sealed message) and does I/O only when it seals under 'strict'.
   * Throws when the item alone would make a message larger than `batch.maxBytes`.
   */
  append(stream: Stream, item: unknown): void {
    if (this.closing) throw new Error('outbox: closed');
    const batch = this.batches[stream];
    const text = JSON.stringify(item);
    if (typeof text !== 'string') throw new TypeError('outbox: item is not JSON-serialisable');
    const bytes = Buffer.byteLength(text);
    if (!batch.fitsAlone(bytes))
      throw new RangeError(`outbox: item of ${bytes} bytes cannot fit in one message`);
    if (batch.overflowsWith(bytes)) this.seal(stream);
    batch.add(text, bytes, this.config.now());
    if (batch.items === 1)
      this.ageTimers[stream] = setTimeout(() => this.seal(stream), this.config.limits.maxAgeMs).unref();
    if (batch.full) this.seal(stream);
  }

  /** Seals the open messages and resolves once everything sealed is committed. */
  flush(): Promise<void> {
    for (const s of STREAMS) this.seal(s);
    return this.commit();
  }

  /** Committed messages of `stream` after `afterSeq`, in seq order, skipping those already acknowledged. */
  next(stream: Stream, afterSeq: number, maxMessages: number): SealedMessage[] {
    const window = this.acks[stream];
    const out: SealedMessage[] = [];
    let after = Math.max(afterSeq, window.through);
    while (out.length < maxMessages) {
      const read = this.store.read(stream, after, maxMessages - out.length + window.pending);
      for (const message of read) {
        if (message.seq > this.committed[stream] || out.length === maxMessages) return out;
        if (!window.has(message.seq)) out.push(message);
        after = message.seq;
      }
      if (read.length === 0) break;
    }
    return out;
  }

  /** PUBACK of one message. The contiguous acknowledged prefix is removed at the next group commit. */
  ack(stream: Stream, seq: number): void {
    if (seq > this.committed[stream]) return;
    const window = this.acks[stream];
    if (window.ack(seq)) {
      this.ackMarks[stream] = window.through;
      this.scheduleCommit();
    }
  }

  /** Called with the stream's newest committed seq whenever new messages become readable. */
  onCommitted(listener: CommittedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  committedSeq(stream: Stream): number {
    return this.committed[stream];
  }

  stats(): Record<Stream, OutboxStreamStats> {
    const one = (s: Stream): OutboxStreamStats => ({
      ...this.store.stats(s),
      dropped: this.dropped[s],
      openItems: this.batches[s].items,
    });
    return { telemetry: one('telemetry'), events: one('events') };
  }

  /** Bytes the byte bound applies to. */
  storedBytes(): number {
    return this.store.storedBytes();
  }

  /** fsync-family calls made by the store itself (the segment log counts all of its own). */
  get syncCalls(): number {
    return this.store.syncCalls;
  }

  /** Seals, commits and closes; appends after this throw. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const s of STREAMS) this.seal(s);
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
      try {
        await this.commit();
      } finally {
        this.store.close();
      }
    })();
    return this.closing;
  }

  private seal(stream: Stream): void {
    clearTimeout(this.ageTimers[stream]);
    delete this.ageTimers[stream];
    const batch = this.batches[stream];
    if (batch.items === 0) return;
    const { body, items } = batch.take();
    const seq = ++this.seq[stream];
    this.pending.push({ stream, seq, bootId: this.bootId, createdAt: batch.firstAt, items, body });
    if (this.config.durability === 'strict') this.commitNowSync();
    else this.scheduleCommit();
  }

  private scheduleCommit(): void {
    if (this.commitTimer || this.closing) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.commit().catch((error: unknown) =>
        this.config.log.warn({ error: String(error) }, 'outbox: commit failed'),
      );
    }, this.config.commitIntervalMs).unref();
  }

  /** Group commits run one at a time, in order. */
  private commit(): Promise<void> {
    const run = this.chain.then(() => this.commitGroup());
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async commitGroup(): Promise<void> {
    const target = this.writeGroup();
    if (!target) return;
    try {
      await this.store.sync();
    } catch (error) {
      this.syncFailed(error);
    }
    this.afterCommit(target);
  }

  private commitNowSync(): void {
    const target = this.writeGroup();
    if (!target) return;
    try {
      this.store.syncNow();
    } catch (error) {
      this.syncFailed(error);
    }
    this.afterCommit(target);
  }

  private syncFailed(error: unknown): never {
    this.syncOwed = true;
    this.scheduleCommit();
    throw error;
  }

  /** Hands pending messages and ack marks to the store; returns the seqs that become committed once synced. */
  private writeGroup(): Record<Stream, number> | undefined {
    const messages = this.pending;
    const removeThrough = this.ackMarks;
    if (messages.length === 0 && Object.keys(removeThrough).length === 0) {
      return this.syncOwed ? { ...this.written } : undefined;
    }
    this.pending = [];
    this.ackMarks = {};
    try {
      this.store.write({ messages, removeThrough });
    } catch (error) {
      // Retried at the next commit, without what did get stored (a group may span segments).
      const stored = {
        telemetry: this.store.stats('telemetry').newestSeq,
        events: this.store.stats('events').newestSeq,
      };
      this.pending = messages.filter((m) => m.seq > stored[m.stream]).concat(this.pending);
      for (const s of STREAMS) {
        const mark = removeThrough[s];
        if (mark !== undefined) this.ackMarks[s] = Math.max(mark, this.ackMarks[s] ?? 0);
      }
      this.scheduleCommit();
      throw error;
    }
    for (const m of messages) this.written[m.stream] = m.seq;
    return { ...this.written };
  }

  private afterCommit(durable: Record<Stream, number>): void {
    this.syncOwed = false;
    for (const s of STREAMS) {
      if (durable[s] <= this.committed[s]) continue;
      this.committed[s] = durable[s];
      for (const listener of this.listeners) listener(s, durable[s]);
    }
    this.reportDropped(this.store.trim(this.config.maxStoredBytes));
  }

  /** Drops are acknowledged in the ack window, reported to the callback and published as data.dropped events. */
  private reportDropped(ranges: readonly DroppedRange[]): void {
    for (const range of ranges) {
      this.acks[range.stream].forget(range.firstSeq, range.lastSeq);
      this.dropped[range.stream] += range.lastSeq - range.firstSeq + 1;
      this.config.log.warn({ ...range }, 'outbox: messages dropped');
      this.config.onDropped?.(range);
      if (!this.closing) {
        const { stream, firstSeq, lastSeq, items, reason } = range;
        this.append('events', {
          t: this.config.now(),
          type: 'data.dropped',
          stream,
          firstSeq,
          lastSeq,
          items,
          reason,
        });
      }
    }
  }
}
