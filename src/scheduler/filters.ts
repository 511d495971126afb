/**
 * Channel calibration and filters: pure functions of a value and a small state.
 * Semantics follow ESPHome's sensor filters where a user would expect them to
 * (sliding window average, median, exponential average, delta, throttle).
 */
import type { CalibrationConfig, FilterConfig } from '../config/pipeline-schema.js';

export function calibrate(value: number, calibration: CalibrationConfig | undefined): number {
  if (!calibration) return value;
  if ('points' in calibration) {
    const [[x1, y1], [x2, y2]] = calibration.points;
    return y1 + ((value - x1) * (y2 - y1)) / (x2 - x1);
  }
  return value * calibration.scale + calibration.offset;
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A filter step: the value to pass on, or undefined to suppress this sample. */
type Step = (value: number, tMs: number) => number | undefined;

function windowed(size: number, reduce: (values: readonly number[]) => number): Step {
  const window: number[] = [];
  return (value) => {
    window.push(value);
    if (window.length > size) window.shift();
    return reduce(window);
  };
}

export function createFilter(filter: FilterConfig): Step {
  if ('movingAverage' in filter) return windowed(filter.movingAverage.window, mean);
  if ('median' in filter) return windowed(filter.median.window, median);
  if ('exponential' in filter) {
    const { alpha } = filter.exponential;
    let state: number | undefined;
    return (value) => {
      state = state === undefined ? value : alpha * value + (1 - alpha) * state;
      return state;
    };
  }
  if ('deadband' in filter) {
    const { delta, maxSilenceMs } = filter.deadband;
    let last: { value: number; tMs: number } | undefined;
    return (value, tMs) => {
      const silentTooLong =
        maxSilenceMs !== undefined && last !== undefined && tMs - last.tMs >= maxSilenceMs;
      if (last !== undefined && Math.abs(value - last.value) <= delta && !silentTooLong) return undefined;
      last = { value, tMs };
      return value;
    };
  }
  const { minIntervalMs } = filter.throttle;
  let lastMs: number | undefined;
  return (value, tMs) => {
    if (lastMs !== undefined && tMs - lastMs < minIntervalMs) return undefined;
    lastMs = tMs;
    return value;
  };
}

/** Calibration, then each filter in order; a suppressed value stops the chain. */
export function createPipeline(
  calibration: CalibrationConfig | undefined,
  filters: readonly FilterConfig[],
): Step {
  const steps = filters.map(createFilter);
  return (raw, tMs) => {
    let value: number | undefined = calibrate(raw, calibration);
    for (const step of steps) {
      if (value === undefined) return undefined;
      value = step(value, tMs);
    }
    return value;
  };
}
