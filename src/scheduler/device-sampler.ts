/**
 * One device's sampling: init (again after any failure, since a chip that lost
 * power has lost its configuration), read, calibrate and filter each channel, and
 * publish. A failure becomes bad samples on every channel plus one `device.error`
 * per failure streak, then retries with exponential backoff until a read succeeds
 * (`device.recovered`). Reads of one device never overlap: scheduled reads and
 * on-demand reads share one queue.
 */
import type { ChannelSettings } from '../config/pipeline-schema.js';
import type { DeviceEntry } from '../config/schema.js';
import type { ChannelInfo, ChannelReading, SensorDriver } from '../device-kit/index.js';
import type { EventHub, Hub, Sample } from '../events/event-hub.js';
import { calibrate, createPipeline } from './filters.js';
import type { PeriodicTask, RunOutcome } from './periodic-scheduler.js';

export interface SamplerDeps {
  events: EventHub;
  samples: Hub<Sample[]>;
  nowMs(): number;
  retry: { initialMs: number; maxMs: number };
}

export interface DeviceHealth {
  ok: boolean;
  consecutiveFailures: number;
  lastError?: string;
  lastGoodMs?: number;
  reads: number;
  failures: number;
}

interface ChannelPlan {
  info: ChannelInfo;
  settings: ChannelSettings | undefined;
  process: (value: number, tMs: number) => number | undefined;
}

export class DeviceSampler {
  private readonly channels: ChannelPlan[];
  private initialised = false;
  private queue: Promise<unknown> = Promise.resolve();
  private failingSinceMs: number | undefined;
  private backoffMs: number;
  readonly health: DeviceHealth = { ok: false, consecutiveFailures: 0, reads: 0, failures: 0 };

  constructor(
    readonly entry: DeviceEntry,
    channels: readonly ChannelInfo[],
    private readonly driver: SensorDriver,
    private readonly deps: SamplerDeps,
  ) {
    this.backoffMs = deps.retry.initialMs;
    this.channels = channels
      .filter((info) => entry.channels[info.id]?.enabled !== false)
      .map((info) => {
        const settings = entry.channels[info.id];
        return { info, settings, process: createPipeline(settings?.calibration, settings?.filters ?? []) };
      });
    driver.onChange?.((readings) => this.publish(this.toSamples(readings, deps.nowMs(), true)));
  }

  /** Channels as published: the driver's, with a unit the config may override. */
  describeChannels(): Array<{ id: string; unit: string }> {
    return this.channels.map((c) => ({ id: c.info.id, unit: c.settings?.unit ?? c.info.unit }));
  }

  task(): PeriodicTask {
    return { id: this.entry.id, periodMs: this.entry.periodMs, run: () => this.sample() };
  }

  /** A read on demand (CLI `read`, the `read` command): calibrated, not filtered, not published. */
  readNow(): Promise<Sample[]> {
    return this.exclusive(async () => {
      try {
        const readings = await this.readOnce();
        return this.toSamples(readings, this.deps.nowMs(), false);
      } catch (error) {
        return this.badSamples(errorText(error), this.deps.nowMs());
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.driver.close?.();
  }

  private sample(): Promise<RunOutcome | undefined> {
    return this.exclusive(async () => {
      try {
        const readings = await this.readOnce();
        this.recovered();
        this.publish(this.toSamples(readings, this.deps.nowMs(), true));
        return undefined;
      } catch (error) {
        return this.failed(error);
      }
    });
  }

  private async readOnce(): Promise<ChannelReading[]> {
    this.health.reads += 1;
    if (!this.initialised) {
      await this.driver.init();
      this.initialised = true;
    }
    return this.driver.read();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private recovered(): void {
    const wasFailing = this.failingSinceMs !== undefined;
    if (wasFailing) {
      this.deps.events.emit('device.recovered', {
        device: this.entry.id,
        failedForMs: this.deps.nowMs() - this.failingSinceMs!,
        failures: this.health.consecutiveFailures,
      });
    }
    this.failingSinceMs = undefined;
    this.backoffMs = this.deps.retry.initialMs;
    Object.assign(this.health, { ok: true, consecutiveFailures: 0, lastError: undefined });
  }

  private failed(error: unknown): RunOutcome {
    const message = errorText(error);
    const now = this.deps.nowMs();
    this.initialised = false;
    this.health.ok = false;
    this.health.failures += 1;
    this.health.consecutiveFailures += 1;
    this.health.lastError = message;
    if (this.failingSinceMs === undefined) {
      this.failingSinceMs = now;
      const code = (error as NodeJS.ErrnoException).code ?? (error as { reason?: string }).reason;
      this.deps.events.emit('device.error', {
        device: this.entry.id,
        error: message,
        ...(code ? { code } : {}),
      });
    }
    this.publish(this.badSamples(message, now));
    const retryAfterMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.deps.retry.maxMs);
    return { retryAfterMs };
  }

  private toSamples(readings: readonly ChannelReading[], t: number, filtered: boolean): Sample[] {
    const samples: Sample[] = [];
    for (const reading of readings) {
      const plan = this.channels.find((c) => c.info.id === reading.channel);
      if (!plan) continue;
      const sample: Sample = { d: this.entry.id, c: reading.channel, t, v: null };
      if (reading.value === null || reading.quality === 'bad') {
        sample.q = 'bad';
        sample.e = reading.error ?? 'no value';
      } else {
        const value = filtered
          ? plan.process(reading.value, t)
          : calibrate(reading.value, plan.settings?.calibration);
        if (value === undefined) continue;
        sample.v = value;
        if (reading.quality === 'uncertain') {
          sample.q = 'uncertain';
          if (reading.error) sample.e = reading.error;
        }
      }
      samples.push(sample);
    }
    if (samples.some((s) => s.v !== null)) this.health.lastGoodMs = t;
    return samples;
  }

  private badSamples(error: string, t: number): Sample[] {
    return this.channels.map((c) => ({ d: this.entry.id, c: c.info.id, t, v: null, q: 'bad', e: error }));
  }

  private publish(samples: Sample[]): void {
    if (samples.length > 0) this.deps.samples.publish(samples);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
