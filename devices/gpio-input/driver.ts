import {
  type ChannelReading,
  DeviceFault,
  type DigitalInput,
  type GpioProvider,
  type Level,
  type SensorDriver,
  type Timing,
} from '../../src/device-kit/index.js';
import { edgeIncludes, edgesPerPulse, pulseRateHz, unionEdge } from './edges.js';
import type { GpioInputOptions } from './index.js';

type Io = { gpio: GpioProvider; pin: number; timing: Timing };

class GpioInputDriver implements SensorDriver {
  private input: DigitalInput | undefined;
  private unwatch: (() => void) | undefined;
  private readonly listeners: Array<(readings: ChannelReading[]) => void> = [];
  private count = 0;
  /** Counted edges not yet covered by a read. */
  private edgeTimesMs: number[] = [];
  private lastReadMs = 0;

  constructor(
    private readonly io: Io,
    private readonly options: GpioInputOptions,
  ) {}

  async init(): Promise<void> {
    // The line holds no state to reset; a second init (a retry after a failed read) keeps the count.
    if (this.input) return;
    const { edge, countEdge, debounceMs, activeLow } = this.options;
    this.input = await this.io.gpio.digitalInput(this.io.pin, {
      edge: unionEdge(edge, countEdge),
      debounceMs,
      activeLow,
    });
    this.lastReadMs = this.io.timing.nowMs();
    this.unwatch = this.input.watch((level, atMs) => this.onEdge(level, atMs));
  }

  async read(): Promise<ChannelReading[]> {
    if (!this.input) {
      throw new DeviceFault('not-ready', `gpio-input on GPIO ${this.io.pin}: read before init`);
    }
    // The interval ends before the awaited read; edges stamped after its end wait for the next one.
    const nowMs = this.io.timing.nowMs();
    const level = await this.input.read();
    const rate = pulseRateHz(this.edgeTimesMs, this.lastReadMs, nowMs, edgesPerPulse(this.options.countEdge));
    this.edgeTimesMs = this.edgeTimesMs.filter((t) => t > nowMs);
    this.lastReadMs = nowMs;
    return [
      { channel: 'level', value: level },
      { channel: 'count', value: this.count },
      { channel: 'rate', value: rate },
    ];
  }

  onChange(listener: (readings: ChannelReading[]) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    const input = this.input;
    this.input = undefined;
    await input?.close();
  }

  private onEdge(level: Level, atMs: number): void {
    if (edgeIncludes(this.options.countEdge, level)) {
      this.count += 1;
      this.edgeTimesMs.push(atMs);
    }
    if (edgeIncludes(this.options.edge, level)) {
      for (const listener of this.listeners) listener([{ channel: 'level', value: level }]);
    }
  }
}

/** Edge timestamps come from the GPIO backend's monotonic clock (performance.now()); `timing.nowMs()` must be that clock. */
export function createGpioInputDriver(io: Io, options: GpioInputOptions): SensorDriver {
  return new GpioInputDriver(io, options);
}
