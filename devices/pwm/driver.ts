import {
  type ActuatorDriver,
  DeviceFault,
  type ForcedWrite,
  type GpioProvider,
  type PwmOutput,
  type Timing,
} from '../../src/device-kit/index.js';
import { dutyMapping, frequencyFor } from './duty.js';
import type { PwmOptions } from './index.js';

type Io = { gpio: GpioProvider; pin: number; timing: Timing };

class PwmDriver implements ActuatorDriver {
  private output: PwmOutput | undefined;
  private readonly dutyFor: (value: number) => number;

  constructor(
    private readonly io: Io,
    private readonly options: PwmOptions,
  ) {
    // Settings that cannot work are refused when the config is loaded, not at the first write.
    this.dutyFor = dutyMapping(options);
  }

  async init(initial: number): Promise<void> {
    // The duty is computed before the line is touched, so a bad initial value leaves it alone.
    const duty = this.dutyFor(initial);
    // GpioProvider.pwm takes no initial duty: the line opens at the level it had (hardware
    // keeps it), and the initial duty is the first thing written after opening.
    this.output ??= await this.io.gpio.pwm(this.io.pin, { frequencyHz: frequencyFor(this.options) });
    await this.output.setDutyCycle(duty);
  }

  async write(value: number): Promise<void> {
    const duty = this.dutyFor(value);
    if (!this.output) throw new DeviceFault('not-ready', `pwm on GPIO ${this.io.pin}: write before init`);
    await this.output.setDutyCycle(duty);
  }

  forcedWrite(value: number): ForcedWrite {
    if (!this.output) return { kind: 'unsupported', reason: `pwm on GPIO ${this.io.pin} is not open` };
    return this.output.forcedWrite(this.dutyFor(value));
  }

  async close(): Promise<void> {
    const output = this.output;
    this.output = undefined;
    await output?.close();
  }
}

export function createPwmDriver(io: Io, options: PwmOptions): ActuatorDriver {
  return new PwmDriver(io, options);
}
