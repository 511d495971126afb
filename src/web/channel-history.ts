/**
 * What the page plots and health judges, kept from the sample hub: each channel's
 * latest sample and its last minutes at one point per bucket (the latest sample in
 * it), and when each device last produced anything. Bounded: `windowMs / bucketMs`
 * points per channel, whatever the sampling rate.
 */
import type { Sample } from '../events/event-hub.js';

/** `[t, v]`: node-clock time and value (`null` for a bad sample, drawn as a gap). */
export type Point = [number, number | null];

export const HISTORY_WINDOW_MS = 10 * 60_000;
export const HISTORY_BUCKET_MS = 2_000;

export const channelKey = (s: Pick<Sample, 'd' | 'c'>) => `${s.d}/${s.c}`;

export class ChannelHistory {
  private readonly series = new Map<string, Point[]>();
  private readonly latestByChannel = new Map<string, Sample>();
  private readonly lastSeenMono = new Map<string, number>();

  constructor(
    private readonly monoMs: () => number = () => performance.now(),
    readonly windowMs = HISTORY_WINDOW_MS,
    readonly bucketMs = HISTORY_BUCKET_MS,
  ) {}

  add(samples: readonly Sample[]): void {
    const now = this.monoMs();
    for (const sample of samples) {
      const key = channelKey(sample);
      this.latestByChannel.set(key, sample);
      this.lastSeenMono.set(sample.d, now);
      let points = this.series.get(key) ?? [];
      // The node clock stepped back (a Pi without RTC getting NTP): the old timeline cannot share an axis with the new.
      if ((points.at(-1)?.[0] ?? Number.NEGATIVE_INFINITY) > sample.t + this.bucketMs) points = [];
      this.series.set(key, points);
      const last = points.at(-1);
      const point: Point = [sample.t, sample.v];
      if (last && Math.floor(last[0] / this.bucketMs) === Math.floor(sample.t / this.bucketMs))
        points[points.length - 1] = point;
      else points.push(point);
      while (points.length > 0 && points[0]![0] < sample.t - this.windowMs) points.shift();
    }
  }

  latest(key: string): Sample | undefined {
    return this.latestByChannel.get(key);
  }

  /** Monotonic ms of the device's last sample, good or bad. */
  lastSeen(device: string): number | undefined {
    return this.lastSeenMono.get(device);
  }

  snapshot(): Record<string, Point[]> {
    return Object.fromEntries([...this.series].map(([key, points]) => [key, [...points]]));
  }
}
