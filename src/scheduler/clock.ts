/**
 * Time for samples and events. A Raspberry Pi has no real-time clock: it boots with
 * a stale wall clock until NTP steps it. Timestamps are the monotonic clock plus a
 * wall-clock offset, so they never go backwards within a boot; the offset follows a
 * forward step of the system clock, and a backward step is absorbed (timestamps hold
 * until the wall clock catches up) rather than reordering data.
 */
import { existsSync } from 'node:fs';

export interface ClockSources {
  wallMs(): number;
  monoMs(): number;
  exists(path: string): boolean;
}

const systemSources: ClockSources = {
  wallMs: () => Date.now(),
  monoMs: () => performance.now(),
  exists: existsSync,
};

export interface ClockState {
  synced: boolean;
  /** The marker file that says so, when synced. */
  source?: string;
}

/** A difference this large between the system clock and our estimate is a step, not drift. */
const stepThresholdMs = 1000;

export class NodeClock {
  private offsetMs: number;
  private lastIssuedMs = 0;
  private state: ClockState = { synced: false };

  constructor(
    private readonly syncMarkers: readonly string[],
    private readonly sources: ClockSources = systemSources,
  ) {
    this.offsetMs = sources.wallMs() - sources.monoMs();
    this.refresh();
  }

  monoMs(): number {
    return this.sources.monoMs();
  }

  /** Wall-clock milliseconds, integer, never lower than a value returned before. */
  nowMs(): number {
    const estimate = Math.floor(this.sources.monoMs() + this.offsetMs);
    this.lastIssuedMs = Math.max(this.lastIssuedMs, estimate);
    return this.lastIssuedMs;
  }

  get status(): ClockState {
    return this.state;
  }

  /** Re-reads the sync markers and follows a step of the system clock. Returns a description of a step, if any. */
  refresh(): { steppedMs: number } | undefined {
    const marker = this.syncMarkers.find((path) => this.sources.exists(path));
    this.state = marker ? { synced: true, source: marker } : { synced: false };
    const differenceMs = this.sources.wallMs() - (this.sources.monoMs() + this.offsetMs);
    if (Math.abs(differenceMs) < stepThresholdMs) return undefined;
    this.offsetMs += differenceMs;
    return { steppedMs: Math.round(differenceMs) };
  }
}
