/** The vocabulary shared by the outbox and its storage implementations. */

/** The protocol's two message streams; each has its own seq counter. */
export const STREAMS = ['telemetry', 'events'] as const;
export type Stream = (typeof STREAMS)[number];

export const perStream = (value: number): Record<Stream, number> => ({ telemetry: value, events: value });

/**
 * When a sealed message counts as committed (and becomes visible to `next()`):
 * - `strict`: written and fsynced before the `append()` that sealed it returns;
 * - `fsync`: written and fsynced as a group every `commitIntervalMs`;
 * - `os`: written to the OS as a group every `commitIntervalMs`, never fsynced.
 */
export type Durability = 'strict' | 'fsync' | 'os';

export type StoreKind = 'segment-log' | 'sqlite';

/** One protocol message: what is published, byte for byte the same on every resend. */
export interface SealedMessage {
  readonly stream: Stream;
  readonly seq: number;
  /** bootId of the process that sealed it (not of the one that publishes it). */
  readonly bootId: string;
  readonly createdAt: number;
  readonly items: number;
  /** The items as JSON array text. */
  readonly body: string;
}

/** Messages that left the store without being acknowledged. */
export interface DroppedRange {
  readonly stream: Stream;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Items in the dropped messages; undefined when they were unreadable (corruption). */
  readonly items: number | undefined;
  readonly reason: 'limit' | 'corrupt';
}

export interface StreamStats {
  /** Sealed, stored and not yet removed (acknowledged or dropped). */
  messages: number;
  bytes: number;
  items: number;
  /** 0 when the stream holds no message. */
  oldestSeq: number;
  newestSeq: number;
}

/** pino's argument order, so a pino logger can be passed as is. */
export interface OutboxLogger {
  warn(detail: object, message: string): void;
}

/** What a store found on open. */
export interface Recovery {
  /** Highest seq ever stored per stream (0 on a new directory), even if since removed. */
  readonly lastSeq: Readonly<Record<Stream, number>>;
  /** Highest seq per stream below which nothing is stored any more. */
  readonly removedThrough: Readonly<Record<Stream, number>>;
  /** What recovery had to give up (damaged records), to be reported as data.dropped. */
  readonly dropped: readonly DroppedRange[];
}

/** What one group commit writes. */
export interface CommitGroup {
  readonly messages: readonly SealedMessage[];
  /** Per stream, the end of the contiguous acknowledged prefix, when it moved. */
  readonly removeThrough: Partial<Record<Stream, number>>;
}

export interface StoreOptions {
  readonly dir: string;
  readonly durability: Durability;
  readonly maxStoredBytes: number;
  readonly log: OutboxLogger;
}

/**
 * Storage below the outbox: it persists sealed messages and removal marks and never
 * invents seqs. Everything but `sync()` is synchronous: both implementations do
 * small sequential I/O, and the outbox calls `write()` at most once per commit.
 */
export interface OutboxStore {
  readonly recovery: Recovery;
  /** Hands the group to the OS. Under a store's synchronous commit mode, this may also make it durable. */
  write(group: CommitGroup): void;
  /** Makes every write so far durable under the store's policy; off the main thread where the store can. */
  sync(): Promise<void>;
  /** `sync()` that blocks, for `strict`. */
  syncNow(): void;
  /** Stored messages of `stream` with seq > afterSeq, in seq order. */
  read(stream: Stream, afterSeq: number, limit: number): SealedMessage[];
  /** Bytes the byte bound applies to. */
  storedBytes(): number;
  /** Drops the oldest messages until `storedBytes() <= maxBytes`; returns what went. */
  trim(maxBytes: number): DroppedRange[];
  stats(stream: Stream): StreamStats;
  /** fsync-family calls this store made itself (SQLite's own are not visible here). */
  readonly syncCalls: number;
  close(): void;
}

export type StoreFactory = (options: StoreOptions) => OutboxStore | Promise<OutboxStore>;
