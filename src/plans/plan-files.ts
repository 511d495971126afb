/**
 * A plan on disk, one folder per plan under `dataDir/plans/<planId>/`:
 *
 * - `state.json`: where the plan is (state, step, progress, what of its dataset is
 *   published), rewritten atomically and fsynced at every step (store/
 *   durable-json-file.ts), so after a crash or power loss the node knows which plan
 *   was running and where it stopped;
 * - `provenance.json`: how the data was made (provenance.ts), written at the start
 *   and again at the end;
 * - `dataset.jsonl`: the rows, appended as they are recorded and fdatasynced before
 *   any part of them is published. A crash can leave a torn last line; readers
 *   drop it (and recovery truncates it away).
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { DurableJsonFile } from '../store/durable-json-file.js';
import type { DatasetRow } from './dataset-rows.js';

export const PLAN_STATES = ['running', 'finished', 'aborted', 'interrupted'] as const;
export type PlanStateName = (typeof PLAN_STATES)[number];

const positionSchema = z.strictObject({ path: z.string(), iteration: z.array(z.int()) });

export const planStateSchema = z.strictObject({
  format: z.literal(1),
  planId: z.string(),
  name: z.string().optional(),
  sha256: z.string(),
  /** The `plan.run` command that started it. */
  commandId: z.string(),
  /** The process that ran it. */
  bootId: z.string(),
  state: z.enum(PLAN_STATES),
  startedAt: z.int(),
  endedAt: z.int().optional(),
  reason: z.string().optional(),
  /** The step running, or the last one started. */
  at: positionSchema.nullable(),
  stepsDone: z.int(),
  stepsTotal: z.int(),
  estimatedMs: z.int(),
  actuators: z.array(z.string()),
  dataset: z.strictObject({
    /** Rows recorded so far (at the last state write; the dataset file has the final word). */
    samples: z.int(),
    /** Parts in all, once the plan has ended. */
    parts: z.int().nullable(),
    /** Parts known to be in the outbox (durably): parts from here on are (re)published after a restart. */
    published: z.int(),
  }),
  /** The final event (`plan.finished` or `plan.aborted`) is durably in the outbox. */
  reported: z.boolean(),
});

export type PlanState = z.output<typeof planStateSchema>;

export const PLAN_ID_PATTERN = /^p-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

export class PlanFiles {
  readonly dir: string;
  readonly state: DurableJsonFile<PlanState>;
  readonly provenance: DurableJsonFile<Record<string, unknown>>;
  readonly datasetFile: string;

  constructor(
    plansDir: string,
    readonly planId: string,
  ) {
    this.dir = join(plansDir, planId);
    this.state = new DurableJsonFile(join(this.dir, 'state.json'), checked(planStateSchema));
    this.provenance = new DurableJsonFile(join(this.dir, 'provenance.json'), (data) =>
      data !== null && typeof data === 'object' && !Array.isArray(data)
        ? { ok: true, data: data as Record<string, unknown> }
        : { ok: false, problem: 'not a JSON object' },
    );
    this.datasetFile = join(this.dir, 'dataset.jsonl');
  }

  create(): Promise<unknown> {
    return mkdir(this.dir, { recursive: true });
  }
}

function checked<T>(schema: z.ZodType<T>) {
  return (data: unknown): { ok: true; data: T } | { ok: false; problem: string } => {
    const result = schema.safeParse(data);
    if (result.success) return { ok: true, data: result.data };
    const first = result.error.issues[0]!;
    return { ok: false, problem: `${first.path.join('.') || '(top level)'}: ${first.message}` };
  };
}

/** Plan ids found under `plansDir`, oldest first (ids start with their UTC start time). */
export async function listPlanIds(plansDir: string): Promise<string[]> {
  try {
    return (await readdir(plansDir)).filter((name) => PLAN_ID_PATTERN.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Appends rows to `dataset.jsonl` in order; `sync` makes what was appended durable. */
export class DatasetWriter {
  private handle: FileHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: string[] = [];
  private failure: unknown;

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<DatasetWriter> {
    const writer = new DatasetWriter(file);
    writer.handle = await open(file, 'a');
    return writer;
  }

  /** Queues one line (a row's JSON, without newline); written in order, soon. */
  append(line: string): void {
    this.pending.push(`${line}\n`);
    if (this.pending.length === 1) this.queue = this.queue.then(() => this.write());
  }

  /** Everything appended so far is on disk (fdatasync) when this resolves; rejects if a write failed. */
  async sync(): Promise<void> {
    this.queue = this.queue
      .then(() => this.write())
      .then(() => this.handle?.datasync())
      .catch((error: unknown) => {
        this.failure ??= new Error(`${this.file}: ${(error as Error).message}`);
      });
    await this.queue;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await this.sync().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }

  private async write(): Promise<void> {
    const text = this.pending.join('');
    this.pending = [];
    if (!text || !this.handle) return;
    try {
      await this.handle.write(text);
    } catch (error) {
      this.failure ??= new Error(`${this.file}: ${(error as Error).message}`);
    }
  }
}

export interface DatasetScan {
  /** Each whole row's JSON length in bytes, newline excluded (what part cutting counts). */
  rowBytes: number[];
  /** Bytes of whole lines: a torn last line lies beyond. */
  validBytes: number;
  torn: boolean;
}

/**
 * Whole lines of a dataset file, in order, streamed (a dataset may hold millions of
 * rows), each with the byte offset after it. A line that does not parse, or lacks its
 * newline, ends the file: a crash can tear only the last write. Returns the file's
 * size, or undefined when there is no file.
 */
async function* datasetLines(
  file: string,
): AsyncGenerator<{ line: string; bytes: number; end: number }, number | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const input = createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let offset = 0;
  try {
    for await (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (offset + bytes + 1 > size) break;
      try {
        JSON.parse(line);
      } catch {
        break;
      }
      offset += bytes + 1;
      yield { line, bytes, end: offset };
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return size;
}

/** The size of every whole row (without keeping the rows: a dataset may hold millions). */
export async function scanDataset(file: string): Promise<DatasetScan> {
  const rowBytes: number[] = [];
  let validBytes = 0;
  const lines = datasetLines(file);
  for (;;) {
    const next = await lines.next();
    if (next.done) return { rowBytes, validBytes, torn: (next.value ?? 0) > validBytes };
    rowBytes.push(next.value.bytes);
    validBytes = next.value.end;
  }
}

/** The whole rows, in order, streamed. */
export async function* streamRows(file: string): AsyncGenerator<DatasetRow> {
  for await (const { line } of datasetLines(file)) yield JSON.parse(line) as DatasetRow;
}

/** The whole rows from index `from` on. */
export async function readRows(file: string, from = 0): Promise<DatasetRow[]> {
  const rows: DatasetRow[] = [];
  let index = 0;
  for await (const row of streamRows(file)) if (index++ >= from) rows.push(row);
  return rows;
}

/** Cuts a torn last line away, so the file is whole JSON lines again. */
export async function truncateDataset(file: string, validBytes: number): Promise<void> {
  await truncate(file, validBytes);
}
