/**
 * A measure step records one sample per channel per period. A period equal to the
 * device's takes every sample the device publishes: with timer jitter, any grid
 * would sometimes drop one (a late sample followed by one on time). A longer period
 * keeps slots on a grid from the step's start: a sample is taken when it is at most
 * half a device period before its slot, and the next slot is the first grid point
 * after it, so jitter never accumulates into drift.
 */
export class MeasureThrottle {
  private nextDue: number;
  private readonly toleranceMs: number;
  private readonly every: boolean;

  constructor(
    startMs: number,
    private readonly periodMs: number,
    devicePeriodMs: number,
  ) {
    this.nextDue = startMs;
    this.toleranceMs = Math.min(periodMs, devicePeriodMs) / 2;
    this.every = periodMs <= devicePeriodMs;
  }

  /** Whether the sample at `tMs` is recorded. */
  take(tMs: number): boolean {
    if (this.every) return true;
    if (tMs < this.nextDue - this.toleranceMs) return false;
    const slots = Math.floor((tMs + this.toleranceMs - this.nextDue) / this.periodMs) + 1;
    this.nextDue += slots * this.periodMs;
    return true;
  }
}
