/**
 * A measure step records one sample per channel per period. Samples come when the
 * device is read, with timer jitter, so a period equal to the device's would lose
 * every sample that came a millisecond early. Slots lie on a grid from the step's
 * start; a sample is taken when it is at most half a device period before its slot
 * (a period equal to the device's takes every sample), and the next slot is the
 * first grid point after it, so jitter never accumulates into drift.
 */
export class MeasureThrottle {
  private nextDue: number;
  private readonly toleranceMs: number;

  constructor(
    startMs: number,
    private readonly periodMs: number,
    devicePeriodMs: number,
  ) {
    this.nextDue = startMs;
    this.toleranceMs = Math.min(periodMs, devicePeriodMs) / 2;
  }

  /** Whether the sample at `tMs` is recorded. */
  take(tMs: number): boolean {
    if (tMs < this.nextDue - this.toleranceMs) return false;
    const slots = Math.floor((tMs + this.toleranceMs - this.nextDue) / this.periodMs) + 1;
    this.nextDue += slots * this.periodMs;
    return true;
  }
}
