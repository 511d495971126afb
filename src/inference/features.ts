/**
 * From samples to a model's input tensor, as pure functions: each source (a channel
 * or an actuator) keeps a short history; at a decision its window is resampled on
 * the model's fixed period (zero-order hold: the latest value at or before each
 * grid time), checked against the declared valid range and scaled. Anything that
 * makes the tensor untrustworthy — a missing or stale slot, a bad sample, NaN, a
 * value outside the range — is a problem naming the feature, never a guess.
 */

/** One value of a source at a monotonic time; `null` is a bad sample. */
export interface Point {
  t: number;
  v: number | null;
}

/** A bounded, time-ordered history of one source. */
export class History {
  private readonly points: Point[] = [];

  /** Keeps what the longest window reading this source needs, plus the newest point before it (the hold). */
  constructor(private readonly keepMs: number) {}

  push(t: number, v: number | null): void {
    const last = this.points.at(-1);
    // Out-of-order arrivals (a debounced edge racing a periodic read) are kept in order.
    if (last && t < last.t) {
      const at = this.points.findIndex((p) => p.t > t);
      this.points.splice(at, 0, { t, v });
    } else this.points.push({ t, v });
    const horizon = t - this.keepMs;
    let drop = 0;
    while (drop + 1 < this.points.length && this.points[drop + 1]!.t <= horizon) drop++;
    if (drop > 0) this.points.splice(0, drop);
  }

  get all(): readonly Point[] {
    return this.points;
  }

  latest(): Point | undefined {
    return this.points.at(-1);
  }
}

/** Why a slot has no value. */
export type SlotGap = 'none' | 'bad' | 'stale';

/**
 * The window of `n` values ending at `nowMs`, one per `periodMs`, oldest first:
 * each slot holds the latest point at or before its grid time, when that point is
 * good and at most `maxAgeMs` older than the slot.
 */
export function resample(
  points: readonly Point[],
  nowMs: number,
  n: number,
  periodMs: number,
  maxAgeMs = Number.POSITIVE_INFINITY,
): Array<number | SlotGap> {
  const slots: Array<number | SlotGap> = [];
  let i = -1;
  for (let k = 0; k < n; k++) {
    const gridT = nowMs - (n - 1 - k) * periodMs;
    while (i + 1 < points.length && points[i + 1]!.t <= gridT) i++;
    const point = i >= 0 ? points[i]! : undefined;
    if (!point) slots.push('none');
    else if (point.v === null) slots.push('bad');
    else if (gridT - point.t > maxAgeMs) slots.push('stale');
    else slots.push(point.v);
  }
  return slots;
}

export interface FeatureWindow {
  /** Names the feature in problems: `chamber/temperature`, `actuator heater`. */
  label: string;
  slots: ReadonlyArray<number | SlotGap>;
  valid: readonly [number, number];
  scale: { subtract: number; divide: number };
}

export type InputProblemReason = 'missing' | 'nan' | 'out_of_range';

export interface InputProblem {
  reason: InputProblemReason;
  message: string;
}

const GAP_TEXT: Record<SlotGap, string> = {
  none: 'no sample yet',
  bad: 'a bad sample',
  stale: 'no sample recent enough',
};

/** The scaled values, features in order and each window oldest first, or the first problem found. */
export function buildInput(
  windows: readonly FeatureWindow[],
): { ok: true; values: number[] } | { ok: false; problem: InputProblem } {
  const values: number[] = [];
  for (const window of windows) {
    for (let k = 0; k < window.slots.length; k++) {
      const slot = window.slots[k]!;
      const where = `${window.label}[${k - window.slots.length + 1}]`;
      if (typeof slot !== 'number')
        return { ok: false, problem: { reason: 'missing', message: `${where}: ${GAP_TEXT[slot]}` } };
      if (Number.isNaN(slot)) return { ok: false, problem: { reason: 'nan', message: `${where}: NaN` } };
      const [min, max] = window.valid;
      if (!(slot >= min && slot <= max))
        return {
          ok: false,
          problem: {
            reason: 'out_of_range',
            message: `${where}: ${slot} is outside the valid range [${min}, ${max}]`,
          },
        };
      values.push((slot - window.scale.subtract) / window.scale.divide);
    }
  }
  return { ok: true, values };
}
