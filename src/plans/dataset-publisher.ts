/**
 * A plan's dataset leaves the node as `plan.dataset` events, through the durable
 * outbox like every event, so a network outage loses nothing. Each part carries the
 * plan id, its index, the index of its first row and the rows; the final
 * `plan.finished` or `plan.aborted` says how many rows and parts there are.
 *
 * A part is published only once its rows are fdatasynced in `dataset.jsonl`, and it
 * counts as published (in `state.json`) only once the outbox has it durably. After a
 * crash the node cuts the file into the same parts again (dataset-rows.ts) and
 * publishes every part not known to be out: a part may then arrive twice, always
 * identical, never with a hole.
 */
import { type DatasetRow, PartCutter, type PartRange } from './dataset-rows.js';

export interface PartLimits {
  maxRows: number;
  maxBytes: number;
}

export const DEFAULT_PART_LIMITS: PartLimits = { maxRows: 200, maxBytes: 32 * 1024 };

export interface PublishPorts {
  emit(type: string, fields: Record<string, unknown>): void;
  /** Resolves once what was emitted is durably in the outbox. */
  durable(): Promise<void>;
  /** Resolves once the rows appended so far are durable on disk. */
  synced(): Promise<void>;
  /** `published` parts are out, durably: record it. */
  published(published: number): Promise<void> | void;
}

interface Part {
  index: number;
  first: number;
  rows: readonly DatasetRow[];
}

async function sendParts(planId: string, parts: readonly Part[], ports: PublishPorts): Promise<void> {
  if (parts.length === 0) return;
  await ports.synced();
  for (const { index, first, rows } of parts)
    ports.emit('plan.dataset', { planId, part: index, first, samples: rows });
  await ports.durable();
  await ports.published(parts.at(-1)!.index + 1);
}

/**
 * Publishes `parts` from index `from` on, in order: recovery after a restart. `rows`
 * holds the dataset's rows from row `rowsFrom` on (at least those of the parts sent).
 */
export function publishParts(
  planId: string,
  rows: readonly DatasetRow[],
  rowsFrom: number,
  parts: readonly PartRange[],
  from: number,
  ports: PublishPorts,
): Promise<void> {
  const pending = parts.slice(from).map(({ first, count }, i) => ({
    index: from + i,
    first,
    rows: rows.slice(first - rowsFrom, first - rowsFrom + count),
  }));
  return sendParts(planId, pending, ports);
}

/** The live side: rows come one by one, and each part goes out as soon as it is full. */
export class DatasetPublisher {
  private readonly cutter: PartCutter;
  /** Rows not yet in a part. */
  private open: DatasetRow[] = [];
  private parts = 0;
  private rows = 0;
  private chain: Promise<void> = Promise.resolve();
  /** After a failed part, later parts still go out but none counts as published: a restart sends them all again. */
  private failed = false;

  constructor(
    private readonly planId: string,
    limits: PartLimits,
    private readonly ports: PublishPorts,
    private readonly onError: (error: unknown) => void,
  ) {
    this.cutter = new PartCutter(limits.maxRows, limits.maxBytes);
  }

  get samples(): number {
    return this.rows;
  }

  /** Takes the row, whose JSON `line` the caller has appended to the dataset file. */
  add(row: DatasetRow, line: string): void {
    this.open.push(row);
    this.rows += 1;
    const part = this.cutter.add(Buffer.byteLength(line));
    if (part) this.send(part);
  }

  /** Cuts the last part and publishes it: `parts` is the final count at once, `done` resolves once every part is out. */
  finish(): { parts: number; done: Promise<void> } {
    const rest = this.cutter.rest();
    if (rest) this.send(rest);
    return { parts: this.parts, done: this.chain };
  }

  private send(range: PartRange): void {
    const part = { index: this.parts++, first: range.first, rows: this.open.slice(0, range.count) };
    this.open = this.open.slice(range.count);
    const ports: PublishPorts = {
      ...this.ports,
      published: (n) => (this.failed ? undefined : this.ports.published(n)),
    };
    this.chain = this.chain
      .then(() => sendParts(this.planId, [part], ports))
      .catch((error: unknown) => {
        this.failed = true;
        this.onError(error);
      });
  }
}
