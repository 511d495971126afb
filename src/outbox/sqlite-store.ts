/**
 * The SQLite store (the only importer of better-sqlite3): one row per message in a
 * WAL-mode database. Durability maps to `synchronous`: FULL for 'fsync' and 'strict'
 * (every commit fsyncs the WAL, on the calling thread: better-sqlite3 is synchronous),
 * NORMAL for 'os' (commits reach the OS; only checkpoints fsync). Integrity after a
 * crash is SQLite's own (WAL frame checksums), so recovery never reports drops.
 */

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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

/** The slice of better-sqlite3 used here (the package ships no types, and @types/better-sqlite3 is not installed). */
interface Statement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Database {
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as new (filename: string) => Database;

export const SQLITE_FILE = 'outbox.sqlite';
/** Rough per-row cost besides body and bootId (row header, key, index entry), so the byte bound tracks the file. */
const ROW_OVERHEAD_BYTES = 48;

interface MessageRow {
  seq: number;
  boot_id: string;
  created_at: number;
  items: number;
  body: string;
}

export function openSqliteStore(options: StoreOptions): SqliteStore {
  return new SqliteStore(options);
}

export class SqliteStore implements OutboxStore {
  readonly syncCalls = 0;
  readonly recovery: Recovery;
  private readonly db: Database;
  private bytes: number;
  private readonly insert: Statement;
  private readonly removeStream: Statement;
  private readonly markStream: Statement;
  private readonly select: Statement;
  private readonly oldest: Statement;
  private readonly removeOldest: Statement;
  private readonly writeGroup: (group: CommitGroup) => void;

  constructor(options: StoreOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.db = new BetterSqlite3(join(options.dir, SQLITE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.durability === 'os' ? 'NORMAL' : 'FULL'}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY,  -- insertion order: the oldest go first under the byte bound
        stream TEXT NOT NULL, seq INTEGER NOT NULL, boot_id TEXT NOT NULL, created_at INTEGER NOT NULL,
        items INTEGER NOT NULL, bytes INTEGER NOT NULL, body TEXT NOT NULL,
        UNIQUE (stream, seq));
      -- Outlives the rows: the seq counter must not restart when every message was removed.
      CREATE TABLE IF NOT EXISTS streams (
        stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, removed_through INTEGER NOT NULL);`);
    const seed = this.db.prepare('INSERT OR IGNORE INTO streams VALUES (?, 0, 0)');
    for (const s of STREAMS) seed.run(s);

    this.insert = this.db.prepare('INSERT INTO messages VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)');
    this.removeStream = this.db.prepare('DELETE FROM messages WHERE stream = ? AND seq <= ? RETURNING bytes');
    this.markStream = this.db.prepare(
      'UPDATE streams SET last_seq = max(last_seq, ?), removed_through = max(removed_through, ?) WHERE stream = ?',
    );
    this.select = this.db.prepare(
      'SELECT seq, boot_id, created_at, items, body FROM messages WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.oldest = this.db.prepare(
      'SELECT id, stream, seq, items, bytes FROM messages WHERE id > ? ORDER BY id LIMIT 256',
    );
    this.removeOldest = this.db.prepare('DELETE FROM messages WHERE id <= ? RETURNING bytes');
    this.writeGroup = this.db.transaction((group: CommitGroup) => {
      const newest = perStream(0);
      for (const m of group.messages) {
        const bytes = Buffer.byteLength(m.body) + Buffer.byteLength(m.bootId) + ROW_OVERHEAD_BYTES;
        this.insert.run(m.stream, m.seq, m.bootId, m.createdAt, m.items, bytes, m.body);
        this.bytes += bytes;
        newest[m.stream] = m.seq;
      }
      for (const s of STREAMS) {
        const through = group.removeThrough[s] ?? 0;
        if (through > 0) this.bytes -= sumBytes(this.removeStream.all(s, through));
        if (through > 0 || newest[s] > 0) this.markStream.run(newest[s], through, s);
      }
    });

    const lastSeq = perStream(0);
    const removedThrough = perStream(0);
    const rows = this.db
      .prepare(
        `SELECT s.stream, s.removed_through AS removed, max(s.last_seq, coalesce(max(m.seq), 0)) AS last
         FROM streams s LEFT JOIN messages m ON m.stream = s.stream GROUP BY s.stream`,
      )
      .all() as Array<{ stream: Stream; removed: number; last: number }>;
    for (const row of rows) {
      lastSeq[row.stream] = row.last;
      removedThrough[row.stream] = row.removed;
    }
    this.bytes = (
      this.db.prepare('SELECT coalesce(sum(bytes), 0) AS n FROM messages').get() as { n: number }
    ).n;
    this.recovery = { lastSeq, removedThrough, dropped: [] };
  }

  write(group: CommitGroup): void {
    this.writeGroup(group);
  }

  /** Commits under synchronous=FULL are durable when `write` returns; under NORMAL the policy asks no more. */
  async sync(): Promise<void> {}

  syncNow(): void {}

  read(stream: Stream, afterSeq: number, limit: number): SealedMessage[] {
    return (this.select.all(stream, afterSeq, limit) as MessageRow[]).map((row) => ({
      stream,
      seq: row.seq,
      bootId: row.boot_id,
      createdAt: row.created_at,
      items: row.items,
      body: row.body,
    }));
  }

  storedBytes(): number {
    return this.bytes;
  }

  trim(maxBytes: number): DroppedRange[] {
    let excess = this.bytes - maxBytes;
    if (excess <= 0) return [];
    const ranges = new Map<Stream, { first: number; last: number; items: number }>();
    let lastId = 0;
    for (let after = 0; excess > 0; ) {
      const rows = this.oldest.all(after) as Array<{
        id: number;
        stream: Stream;
        seq: number;
        items: number;
        bytes: number;
      }>;
      if (rows.length === 0) break;
      for (const row of rows) {
        if (excess <= 0) break;
        excess -= row.bytes;
        lastId = row.id;
        const range = ranges.get(row.stream) ?? { first: row.seq, last: row.seq, items: 0 };
        range.last = row.seq;
        range.items += row.items;
        ranges.set(row.stream, range);
      }
      after = rows.at(-1)!.id;
    }
    const dropped = [...ranges].map(
      ([stream, r]): DroppedRange => ({
        stream,
        firstSeq: r.first,
        lastSeq: r.last,
        items: r.items,
        reason: 'limit',
      }),
    );
    this.db.transaction(() => {
      this.bytes -= sumBytes(this.removeOldest.all(lastId));
      for (const d of dropped) this.markStream.run(0, d.lastSeq, d.stream);
    })();
    return dropped;
  }

  stats(stream: Stream): StreamStats {
    return this.db
      .prepare(
        `SELECT count(*) AS messages, coalesce(sum(bytes), 0) AS bytes, coalesce(sum(items), 0) AS items,
                coalesce(min(seq), 0) AS oldestSeq, coalesce(max(seq), 0) AS newestSeq
         FROM messages WHERE stream = ?`,
      )
      .get(stream) as StreamStats;
  }

  close(): void {
    this.db.close();
  }
}

function sumBytes(rows: unknown[]): number {
  let total = 0;
  for (const row of rows as Array<{ bytes: number }>) total += row.bytes;
  return total;
}
