/**
 * Records the samples of a plan's measure steps as dataset rows: each active
 * measurement takes the samples of its channels from the node's sample hub (the
 * values the node publishes as telemetry: calibrated and filtered), at most one per
 * channel per period (measure-throttle.ts), until it is stopped or, for a count, has
 * its count on every channel.
 */
import { splitChannelRef } from '../config/ids.js';
import type { Sample } from '../events/event-hub.js';
import { type DatasetRow, rowOf } from './dataset-rows.js';
import { MeasureThrottle } from './measure-throttle.js';
import type { MeasureHandle } from './plan-runner.js';
import type { MeasureStep } from './plan-schema.js';
import type { Position } from './plan-timeline.js';

export interface RecorderDeps {
  /** The node clock (epoch ms), the time base of samples. */
  nowMs(): number;
  unit(channel: string): string;
  devicePeriodMs(device: string): number;
  append(row: DatasetRow): void;
}

interface Active {
  at: Position;
  count: number | undefined;
  channels: Map<string, { throttle: MeasureThrottle; rows: number }>;
  rows: number;
  reached: () => void;
}

export class DatasetRecorder {
  private readonly active = new Set<Active>();

  constructor(private readonly deps: RecorderDeps) {}

  measure(step: MeasureStep, at: Position): MeasureHandle {
    const start = this.deps.nowMs();
    let reached = () => {};
    const promise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const active: Active = {
      at,
      count: step.count,
      rows: 0,
      reached,
      channels: new Map(
        step.channels.map((ref) => [
          ref,
          {
            throttle: new MeasureThrottle(
              start,
              step.periodMs,
              this.deps.devicePeriodMs(splitChannelRef(ref).device),
            ),
            rows: 0,
          },
        ]),
      ),
    };
    this.active.add(active);
    return {
      reached: promise,
      stop: () => {
        this.active.delete(active);
        return active.rows;
      },
    };
  }

  onSamples(samples: readonly Sample[]): void {
    if (this.active.size === 0) return;
    for (const sample of samples) {
      const ref = `${sample.d}/${sample.c}`;
      for (const active of this.active) {
        const channel = active.channels.get(ref);
        if (!channel || (active.count !== undefined && channel.rows >= active.count)) continue;
        if (!channel.throttle.take(sample.t)) continue;
        this.deps.append(rowOf(sample, this.deps.unit(ref), active.at));
        channel.rows += 1;
        active.rows += 1;
        if (active.count !== undefined && [...active.channels.values()].every((c) => c.rows >= active.count!))
          active.reached();
      }
    }
  }

  stopAll(): void {
    this.active.clear();
  }
}
