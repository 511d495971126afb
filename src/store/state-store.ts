/**
 * The node's small durable state, on lowdb (its only importer): the MQTT session
 * counter and the command journal that makes commands idempotent across restarts.
 *
 * lowdb rewrites a whole file on every write, and a journal of 10,000 replies is about
 * 1 MB: one file would cost every command a 1 MB stringify, write and fsync (measured
 * by `test/bench/state-store.ts`). So the journal is a chain of files ("segments") of
 * at most `segmentBytes` each: a command rewrites only the newest one, and the oldest
 * is deleted once the others still hold `journalSize` ids. The session counter has a
 * file of its own, so handing out a session never waits on the journal.
 *
 * A file that exists but cannot be read is an error naming it, never a silent reset:
 * a reset session counter repeats sessions, and a lost journal re-executes commands,
 * the two things the protocol forbids. Writes are atomic and fsynced, so only outside
 * damage gets here, and an operator should look.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import { COMMAND_ID_MAX_LENGTH, type Reply } from '../protocol/messages.js';
import { DurableJsonFile, StateFileError } from './durable-json-file.js';

export { StateFileError };

/** A reply the journal keeps: only commands whose id could be read are journaled. */
export type JournaledReply = Reply & { id: string };

export interface StateStoreOptions {
  /** Command ids remembered at least; the protocol asks for 10,000. */
  journalSize?: number;
  /** A segment takes no more entries once it holds this many bytes: the bound on what one command rewrites. */
  segmentBytes?: number;
}

export const STATE_STORE_DEFAULTS = { journalSize: 10_000, segmentBytes: 64 * 1024 };

const STATE_DIR = 'state';
const NODE_FILE = 'node.json';
const SEGMENT_FILE = /^journal-(\d{10})\.json$/;
const segmentFile = (number: number) => `journal-${String(number).padStart(10, '0')}.json`;

const nodeStateSchema = z.strictObject({ format: z.literal(1), session: z.int().min(0) });
const segmentSchema = z.strictObject({
  format: z.literal(1),
  entries: z.array(
    z.looseObject({
      id: z.string().min(1).max(COMMAND_ID_MAX_LENGTH),
      ok: z.boolean(),
      ts: z.number(),
    }),
  ),
});

type NodeState = z.output<typeof nodeStateSchema>;
interface SegmentData {
  format: 1;
  entries: JournaledReply[];
}

function fileOf<T>(file: string, schema: z.ZodType): DurableJsonFile<T> {
  return new DurableJsonFile<T>(file, (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, data: result.data as T };
    const problems = result.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    return { ok: false, problem: problems.join('; ') };
  });
}

interface Segment {
  number: number;
  db: Low<SegmentData>;
  bytes: number;
}

function segmentAt(dir: string, number: number): Segment {
  const empty: SegmentData = { format: 1, entries: [] };
  const db = new Low<SegmentData>(fileOf<SegmentData>(join(dir, segmentFile(number)), segmentSchema), empty);
  return { number, db, bytes: Buffer.byteLength(JSON.stringify(empty)) };
}

export class CommandJournal {
  private readonly index = new Map<string, JournaledReply>();

  /** Segments oldest first; the last one takes new entries. */
  private constructor(
    private readonly dir: string,
    private readonly segments: Segment[],
    private readonly options: Required<StateStoreOptions>,
  ) {
    for (const segment of segments)
      for (const reply of segment.db.data.entries)
        if (!this.index.has(reply.id)) this.index.set(reply.id, reply);
  }

  static async open(dir: string, options: Required<StateStoreOptions>): Promise<CommandJournal> {
    const numbers = (await readdir(dir))
      .map((name) => SEGMENT_FILE.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    for (const number of numbers) {
      const segment = segmentAt(dir, number);
      await segment.db.read();
      segment.bytes = Buffer.byteLength(JSON.stringify(segment.db.data));
      segments.push(segment);
    }
    const journal = new CommandJournal(dir, segments, options);
    await journal.evict();
    return journal;
  }

  get size(): number {
    return this.index.size;
  }

  /** The first reply sent for `id`, if the journal still holds it. */
  get(id: string): JournaledReply | undefined {
    return this.index.get(id);
  }

  /**
   * Records the reply to a command, durably once the promise resolves. The entry is
   * in memory at once, so a duplicate is answered from it even if the disk write
   * fails; a later write carries it to disk with the rest of its segment. A second
   * reply for an id already held is ignored: the first one is the answer.
   */
  async put(reply: JournaledReply): Promise<void> {
    if (this.index.has(reply.id)) return;
    this.index.set(reply.id, reply);
    const bytes = Buffer.byteLength(JSON.stringify(reply)) + 1;
    let segment = this.segments.at(-1);
    if (!segment || (segment.bytes + bytes > this.options.segmentBytes && segment.db.data.entries.length > 0))
      segment = this.startSegment((segment?.number ?? 0) + 1);
    segment.db.data.entries.push(reply);
    segment.bytes += bytes;
    await segment.db.write();
    await this.evict();
  }

  private startSegment(number: number): Segment {
    const segment = segmentAt(this.dir, number);
    this.segments.push(segment);
    return segment;
  }

  /** Drops whole segments, oldest first, while the rest still hold `journalSize` ids. */
  private async evict(): Promise<void> {
    const doomed: Segment[] = [];
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      if (this.index.size - oldest.db.data.entries.length < this.options.journalSize) break;
      this.segments.shift();
      for (const reply of oldest.db.data.entries)
        if (this.index.get(reply.id) === reply) this.index.delete(reply.id);
      doomed.push(oldest);
    }
    // A deletion lost to a crash only keeps old ids a little longer: no fsync needed.
    await Promise.all(
      doomed.map((s) => unlink(join(this.dir, segmentFile(s.number))).catch(() => undefined)),
    );
  }
}

export class StateStore {
  private constructor(
    readonly dir: string,
    private readonly node: Low<NodeState>,
    readonly journal: CommandJournal,
  ) {}

  /** Opens (creating when missing) the state under `dataDir/state`; rejects with a `StateFileError` naming a damaged file. */
  static async open(dataDir: string, options: StateStoreOptions = {}): Promise<StateStore> {
    const settings = { ...STATE_STORE_DEFAULTS, ...options };
    if (!Number.isSafeInteger(settings.journalSize) || settings.journalSize < 1)
      throw new RangeError(
        `state store: journalSize must be a positive integer, not ${settings.journalSize}`,
      );
    const dir = join(dataDir, STATE_DIR);
    await mkdir(dir, { recursive: true });
    const node = new Low<NodeState>(fileOf<NodeState>(join(dir, NODE_FILE), nodeStateSchema), {
      format: 1,
      session: 0,
    });
    await node.read();
    return new StateStore(dir, node, await CommandJournal.open(dir, settings));
  }

  /** The last session handed out (0 before the first connect on a new data directory). */
  get session(): number {
    return this.node.data.session;
  }

  /**
   * The session for a new connect attempt, on disk before it is returned. The counter
   * moves on even when the write fails (the caller gets the error and must not use
   * the number), so no number is ever handed out twice.
   */
  async nextSession(): Promise<number> {
    const session = this.node.data.session + 1;
    this.node.data = { format: 1, session };
    await this.node.write();
    return session;
  }
}
