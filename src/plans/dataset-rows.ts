/**
 * A dataset row: one sample a measure step recorded, self-contained so a line of
 * `dataset.jsonl` means something on its own years later — time, device, channel,
 * value, unit, quality (always written, `good` included), the error text of a bad
 * sample, and the step (and repeat iteration) that recorded it.
 *
 * Rows are published in parts (`plan.dataset` events). Where parts are cut is a pure
 * function of the rows, so after a restart the node cuts the rows on disk into the
 * same parts again, and a part published twice is the same part twice.
 */
import type { Sample } from '../events/event-hub.js';
import type { Position } from './plan-timeline.js';

export interface DatasetRow {
  t: number;
  d: string;
  c: string;
  v: number | null;
  unit: string;
  q: 'good' | 'uncertain' | 'bad';
  e?: string;
  step: string;
  iteration?: number[];
}

const MAX_ERROR_CHARS = 200;

export function rowOf(sample: Sample, unit: string, at: Position): DatasetRow {
  const e = sample.e;
  return {
    t: sample.t,
    d: sample.d,
    c: sample.c,
    v: sample.v,
    unit,
    q: sample.q ?? 'good',
    ...(e === undefined ? {} : { e: e.length > MAX_ERROR_CHARS ? `${e.slice(0, MAX_ERROR_CHARS - 1)}…` : e }),
    step: at.path,
    ...(at.iteration.length > 0 ? { iteration: at.iteration } : {}),
  };
}

export interface PartRange {
  /** Index of the part's first row in the dataset. */
  first: number;
  count: number;
}

/** Cuts a stream of rows into parts of at most `maxRows` rows and `maxBytes` bytes of row JSON. */
export class PartCutter {
  private first = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly maxRows: number,
    private readonly maxBytes: number,
  ) {}

  /** Adds the next row (its JSON length); returns the part this closed, if any. */
  add(rowBytes: number): PartRange | undefined {
    let sealed: PartRange | undefined;
    if (this.count > 0 && this.bytes + rowBytes + 1 > this.maxBytes) sealed = this.seal();
    this.count += 1;
    this.bytes += rowBytes + 1;
    if (!sealed && this.count >= this.maxRows) sealed = this.seal();
    return sealed;
  }

  /** The rows not in a closed part yet: the last part, when the dataset ends. */
  rest(): PartRange | undefined {
    return this.count > 0 ? this.seal() : undefined;
  }

  private seal(): PartRange {
    const part = { first: this.first, count: this.count };
    this.first += this.count;
    this.count = 0;
    this.bytes = 0;
    return part;
  }
}

/** Every part of a finished dataset, in order. */
export function partsOf(rowBytes: readonly number[], maxRows: number, maxBytes: number): PartRange[] {
  const cutter = new PartCutter(maxRows, maxBytes);
  const parts: PartRange[] = [];
  for (const bytes of rowBytes) {
    const part = cutter.add(bytes);
    if (part) parts.push(part);
  }
  const rest = cutter.rest();
  if (rest) parts.push(rest);
  return parts;
}
