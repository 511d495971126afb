/**
 * Executes a validated plan step by step on the node's own monotonic clock, never
 * waiting on the network. Times are absolute: each step starts at the planned end
 * of the one before (its origin), so timer lateness never accumulates into drift; a
 * ramp writes at origin + k·duration/n. Only a wait until a condition and a
 * count-bounded measurement move the origin to when they actually ended.
 *
 * Writes go through the safety gate as the plan. A write is never hurried past the
 * actuator's `maxRatePerS`: when a write comes late (a busy event loop) and the next
 * one is due at once, the next waits until the rate allows it — the ramp ends a
 * little late rather than being refused by the gate.
 *
 * Any refused write, or a wait that times out with `onTimeout: abort`, ends the run
 * with a `StepFailed` naming the step; an abort through the signal ends it with
 * `RunStopped`. The caller owns what happens next (safe values, dataset, events).
 */
import type { Sample } from '../events/event-hub.js';
import type { WriteResult } from '../safety/actuators.js';
import type { Timers } from '../scheduler/periodic-scheduler.js';
import type { Condition, MeasureStep, Plan } from './plan-schema.js';
import { type LeafKind, leaves, type Position } from './plan-timeline.js';

export interface MeasureHandle {
  /** Resolves when every channel has its `count` of samples (never, for a duration-bounded measure). */
  reached: Promise<void>;
  /** Ends the measurement; returns the rows it recorded. */
  stop(): number;
}

export interface RunnerPorts {
  timers: Timers;
  /** Through the safety gate, as this plan. */
  write(actuator: string, value: number): Promise<WriteResult>;
  maxRatePerS(actuator: string): number | undefined;
  /** Starts recording a measure step. */
  measure(step: MeasureStep, at: Position): MeasureHandle;
  /** Calls `listener` with each sample of the channel until the returned function is called. */
  watch(channel: string, listener: (sample: Sample) => void): () => void;
  stepStarted(at: Position, index: number, kind: LeafKind): void;
  stepDone(at: Position, index: number, kind: LeafKind, result: Record<string, unknown>): void;
}

/** The run ended because its signal was aborted. */
export class RunStopped extends Error {
  override name = 'RunStopped';
}

/** A step could not be carried out. */
export class StepFailed extends Error {
  override name = 'StepFailed';

  constructor(
    readonly at: Position,
    message: string,
  ) {
    super(message);
  }
}

export async function runPlan(plan: Plan, ports: RunnerPorts, signal: AbortSignal): Promise<void> {
  const run = new Run(ports, signal);
  await run.steps(plan);
}

class Run {
  private origin: number;
  private readonly lastWrite = new Map<string, { at: number; value: number }>();
  private readonly background: Array<Promise<void>> = [];

  constructor(
    private readonly ports: RunnerPorts,
    private readonly signal: AbortSignal,
  ) {
    this.origin = ports.timers.nowMs();
  }

  async steps(plan: Plan): Promise<void> {
    let index = 0;
    for (const { at, kind, step } of leaves(plan.steps)) {
      if (this.signal.aborted) throw new RunStopped();
      this.ports.stepStarted(at, index, kind);
      let result: Record<string, unknown>;
      if (step.set) {
        result = await this.write(at, step.set.actuator, step.set.value);
      } else if (step.ramp) {
        const { actuator, from, to, durationMs, stepMs } = step.ramp;
        const n = Math.ceil(durationMs / stepMs);
        for (let k = 0; k <= n; k++) {
          await this.sleepUntil(this.origin + (k * durationMs) / n);
          await this.write(at, actuator, k === n ? to : from + ((to - from) * k) / n);
        }
        this.origin += durationMs;
        result = { actuator, from, to, writes: n + 1 };
      } else if (step.hold) {
        const written: Record<string, number> = {};
        for (const [actuator, value] of Object.entries(step.hold.values ?? {}))
          written[actuator] = (await this.write(at, actuator, value)).value;
        this.origin += step.hold.durationMs;
        await this.sleepUntil(this.origin);
        result = { durationMs: step.hold.durationMs, ...(step.hold.values ? { values: written } : {}) };
      } else if (step.wait?.until) {
        result = await this.waitUntil(at, step.wait.until, step.wait.timeoutMs!, step.wait.onTimeout);
      } else if (step.wait) {
        this.origin += step.wait.durationMs!;
        await this.sleepUntil(this.origin);
        result = { durationMs: step.wait.durationMs };
      } else {
        result = await this.measure(at, step.measure!);
      }
      this.ports.stepDone(at, index, kind, result);
      index++;
    }
    // The plan ends when its background measurements have.
    await Promise.all(this.background);
    if (this.signal.aborted) throw new RunStopped();
  }

  private async write(at: Position, actuator: string, value: number) {
    const rate = this.ports.maxRatePerS(actuator);
    const last = this.lastWrite.get(actuator);
    if (rate !== undefined && last)
      // Rounded up to the next whole ms (past float noise), plus one: the gate must see a rate at or under the limit.
      await this.sleepUntil(Math.ceil(last.at + (Math.abs(value - last.value) / rate) * 1000 - 1e-6) + 1);
    if (this.signal.aborted) throw new RunStopped();
    const written = await this.ports.write(actuator, value);
    if (!written.ok) throw new StepFailed(at, `${written.code}: ${written.message}`);
    this.lastWrite.set(actuator, { at: this.ports.timers.nowMs(), value });
    return { actuator, value: written.value, previous: written.previous };
  }

  private async waitUntil(
    at: Position,
    condition: Condition,
    timeoutMs: number,
    onTimeout: 'abort' | 'continue' | undefined,
  ): Promise<Record<string, unknown>> {
    const startedAt = this.ports.timers.nowMs();
    const deadline = this.origin + timeoutMs;
    let stopWatching = () => {};
    const met = new Promise<Sample>((resolve) => {
      stopWatching = this.ports.watch(condition.channel, (sample) => {
        if (meets(condition, sample.v)) resolve(sample);
      });
    });
    const deadlineTimer = this.timer(deadline);
    try {
      const sample = await Promise.race([met, deadlineTimer.done.then(() => undefined)]);
      if (sample) {
        this.origin = Math.max(this.origin, this.ports.timers.nowMs());
        return {
          channel: condition.channel,
          value: sample.v,
          t: sample.t,
          waitedMs: Math.round(this.origin - startedAt),
        };
      }
    } finally {
      stopWatching();
      deadlineTimer.cancel();
    }
    this.origin = deadline;
    if (onTimeout !== 'continue')
      throw new StepFailed(
        at,
        `timed out: ${condition.channel} did not become ${conditionText(condition)} within ${timeoutMs} ms`,
      );
    return { channel: condition.channel, timedOut: true, waitedMs: timeoutMs };
  }

  private async measure(at: Position, measure: MeasureStep): Promise<Record<string, unknown>> {
    const handle = this.ports.measure(measure, at);
    const ends =
      measure.durationMs === undefined
        ? Promise.race([handle.reached, this.stopped()])
        : this.sleepUntil(this.origin + measure.durationMs);
    const recorded = ends.then(() => handle.stop());
    if (measure.background) {
      // Settled here so an abort (which rejects the sleep) never becomes an unhandled rejection.
      this.background.push(
        recorded.then(
          () => undefined,
          () => undefined,
        ),
      );
      return { channels: measure.channels, background: true };
    }
    const samples = await recorded;
    this.origin =
      measure.durationMs === undefined ? this.ports.timers.nowMs() : this.origin + measure.durationMs;
    return { channels: measure.channels, samples };
  }

  /** Resolves at `atMs` on the monotonic clock (at once when past); rejects with `RunStopped` on abort. */
  private sleepUntil(atMs: number): Promise<void> {
    return this.timer(atMs).done;
  }

  private timer(atMs: number): { done: Promise<void>; cancel(): void } {
    const { timers } = this.ports;
    let cancel = () => {};
    const done = new Promise<void>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(new RunStopped());
        return;
      }
      // Already due: no trip through the timer queue, which would add its lateness for nothing.
      if (atMs <= timers.nowMs()) {
        resolve();
        return;
      }
      const onAbort = () => {
        timers.clearTimeout(handle);
        reject(new RunStopped());
      };
      const handle = timers.setTimeout(
        () => {
          this.signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, atMs - timers.nowMs()),
      );
      this.signal.addEventListener('abort', onAbort, { once: true });
      cancel = () => {
        timers.clearTimeout(handle);
        this.signal.removeEventListener('abort', onAbort);
      };
    });
    return { done, cancel: () => cancel() };
  }

  /** Rejects with `RunStopped` when the run is aborted; never resolves. */
  private stopped(): Promise<never> {
    return new Promise((_, reject) => {
      if (this.signal.aborted) reject(new RunStopped());
      else this.signal.addEventListener('abort', () => reject(new RunStopped()), { once: true });
    });
  }
}

export function meets(condition: Condition, value: number | null): boolean {
  if (value === null) return false;
  if (condition.above !== undefined) return value > condition.above;
  if (condition.below !== undefined) return value < condition.below;
  return value === condition.equals;
}

export function conditionText(condition: Condition): string {
  if (condition.above !== undefined) return `above ${condition.above}`;
  if (condition.below !== undefined) return `below ${condition.below}`;
  return `equal to ${condition.equals}`;
}
