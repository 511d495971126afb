import {
  type ActuatorDriver,
  DeviceFault,
  type DigitalOutput,
  type ForcedWrite,
  type GpioProvider,
  type Level,
  type Timing,
} from '../../src/device-kit/index.js';
import type { RelayOptions } from './index.js';

type Io = { gpio: GpioProvider; pin: number; timing: Timing };

/** Only 0 and 1 are relay states; anything else is a bug upstream, not a value to round. */
export function relayLevel(value: number): Level {
  if (value === 0 || value === 1) return value;
  throw new RangeError(`a relay takes 0 or 1, not ${value}`);
}

class RelayDriver implements ActuatorDriver {
  private output: DigitalOutput | undefined;

  constructor(
    private readonly io: Io,
    private readonly options: RelayOptions,
  ) {}

  async init(initial: number): Promise<void> {
    const level = relayLevel(initial);
    if (this.output) {
      await this.output.write(level);
      return;
    }
    // The backend opens the line already at this level (polarity applied), so the coil never
    // sees another state first.
    this.output = await this.io.gpio.digitalOutput(this.io.pin, {
      activeLow: this.options.activeLow,
      initial: level,
    });
  }

  async write(value: number): Promise<void> {
    const level = relayLevel(value);
    await this.opened().write(level);
  }

  forcedWrite(value: number): ForcedWrite {
    if (!this.output) return { kind: 'unsupported', reason: `relay on GPIO ${this.io.pin} is not open` };
    return this.output.forcedWrite(relayLevel(value));
  }

  async close(): Promise<void> {
    const output = this.output;
    this.output = undefined;
    await output?.close();
  }

  private opened(): DigitalOutput {
    if (!this.output) throw new DeviceFault('not-ready', `relay on GPIO ${this.io.pin}: write before init`);
    return this.output;
  }
}

export function createRelayDriver(io: Io, options: RelayOptions): ActuatorDriver {
  return new RelayDriver(io, options);
}
