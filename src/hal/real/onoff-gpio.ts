/**
 * Digital lines on `onoff` (the kernel's sysfs GPIO interface), the only module that
 * imports it, at first use. PWM is not something sysfs GPIO has; it is delegated.
 *
 * Levels: sysfs `value` reads and writes honour `active_low`, but `direction`
 * "high"/"low" set the raw line level (gpiolib-sysfs direction_store calls
 * gpiod_direction_output_raw; Documentation/ABI/obsolete/sysfs-gpio). onoff's README
 * calls them "an initial level of 1 or 0", which only holds with active_low 0. So
 * outputs keep active_low 0 and invert here: `value` then holds the physical
 * level, the direction write sets it atomically, and the watchdog's file write
 * means the same thing as ours. Inputs use onoff's activeLow, which the kernel
 * also applies to the interrupt edge.
 *
 * onoff always works under /sys/class/gpio; `sysfsRoot` only moves the chip lookup.
 */
import { performance } from 'node:perf_hooks';
import type {
  DigitalInput,
  DigitalInputOptions,
  DigitalOutput,
  ForcedWrite,
  GpioProvider,
  Level,
  PwmOptions,
  PwmOutput,
} from '../../device-kit/index.js';
import { findGpioChip, type GpioChipInfo, sysfsGpioNumber } from './gpio-chip.js';

type OnoffModule = typeof import('onoff');
type OnoffGpio = InstanceType<OnoffModule['Gpio']>;

export const ONOFF_GPIO_ROOT = '/sys/class/gpio';

export function gpioValuePath(sysfsNumber: number): string {
  return `${ONOFF_GPIO_ROOT}/gpio${sysfsNumber}/value`;
}

export function physicalLevel(level: Level, activeLow: boolean): Level {
  return (activeLow ? level ^ 1 : level) as Level;
}

/** The direction that creates the output already at its initial (logical) level. */
export function outputDirection(initial: Level, activeLow: boolean): 'high' | 'low' {
  return physicalLevel(initial, activeLow) === 1 ? 'high' : 'low';
}

export interface OnoffGpioOptions {
  sysfsRoot?: string;
  /** Accepted in addition to the Raspberry Pi chips (`gpio-mockup-A` under QEMU). */
  chipLabel?: string;
  pwm(pin: number, options: PwmOptions): Promise<PwmOutput>;
  /** Replaces `import('onoff')`; tests pass a fake module. */
  loadLibrary?: () => Promise<OnoffModule>;
}

export class OnoffGpioProvider implements GpioProvider {
  private chip: Promise<GpioChipInfo> | undefined;
  private library: Promise<OnoffModule> | undefined;
  private readonly inUse = new Set<number>();

  constructor(private readonly options: OnoffGpioOptions) {}

  async digitalInput(pin: number, options: DigitalInputOptions): Promise<DigitalInput> {
    return this.claim(pin, (Gpio, number, name) => {
      const debounceMs = Math.max(0, Math.round(options.debounceMs));
      const gpio = new Gpio(number, 'in', options.edge, {
        debounceTimeout: debounceMs,
        activeLow: options.activeLow,
      });
      return new OnoffInput(gpio, options.edge, debounceMs, name, () => this.inUse.delete(number));
    });
  }

  async digitalOutput(pin: number, options: { activeLow: boolean; initial: Level }): Promise<DigitalOutput> {
    if (options.initial !== 0 && options.initial !== 1) {
      throw new RangeError(`initial level ${options.initial}`);
    }
    return this.claim(pin, (Gpio, number, name) => {
      // reconfigureDirection: the direction write is what sets the initial level, even when already an output.
      const gpio = new Gpio(number, outputDirection(options.initial, options.activeLow), undefined, {
        activeLow: false,
        reconfigureDirection: true,
      });
      return new OnoffOutput(gpio, number, options.activeLow, name, () => this.inUse.delete(number));
    });
  }

  pwm(pin: number, options: PwmOptions): Promise<PwmOutput> {
    return this.options.pwm(pin, options);
  }

  private async load(): Promise<OnoffModule> {
    this.library ??= (this.options.loadLibrary ?? (() => import('onoff')))().then(
      (m) => ((m as { Gpio?: unknown }).Gpio ? m : (m as unknown as { default: OnoffModule }).default),
      (error: unknown) => {
        this.library = undefined;
        throw Object.assign(
          new Error(`onoff could not be loaded (epoll addon not built?): ${String(error)}`),
          {
            code: 'ELIBACC',
            cause: error,
          },
        );
      },
    );
    return this.library;
  }

  /** Resolves the pin on the chip first, so a wrong pin is reported without loading the addon. */
  private async claim<T>(
    pin: number,
    open: (Gpio: OnoffModule['Gpio'], sysfsNumber: number, name: string) => T,
  ): Promise<T> {
    this.chip ??= findGpioChip({ sysfsRoot: this.options.sysfsRoot, label: this.options.chipLabel }).catch(
      (error: unknown) => {
        this.chip = undefined;
        throw error;
      },
    );
    const chip = await this.chip;
    const number = sysfsGpioNumber(chip, pin);
    const name = `GPIO ${pin} (sysfs ${number} on ${chip.label})`;
    const { Gpio } = await this.load();
    if (this.inUse.has(number)) {
      throw Object.assign(new Error(`EBUSY: ${name} is already open`), { code: 'EBUSY' });
    }
    try {
      const line = open(Gpio, number, name);
      this.inUse.add(number);
      return line;
    } catch (error) {
      throw explainExportError(error, name);
    }
  }
}

/** onoff's constructor errors, with what usually causes each on a Pi. */
export function explainExportError(error: unknown, name: string): NodeJS.ErrnoException {
  const original = error as NodeJS.ErrnoException;
  const code = original.code ?? 'EIO';
  const hints: Record<string, string> = {
    ENOENT: `${ONOFF_GPIO_ROOT} is missing: the kernel has no GPIO sysfs interface (CONFIG_GPIO_SYSFS)`,
    EACCES: 'permission denied: add the user to the gpio group (sudo usermod -aG gpio $USER)',
    EBUSY: 'the line is claimed by a kernel driver (a dtoverlay such as w1-gpio) or a gpiod user',
    EINVAL: 'the kernel refused to export it (reserved line?)',
  };
  const hint = hints[code] ?? original.message;
  return Object.assign(new Error(`${code}: ${name}: ${hint} (${original.message})`), { code, cause: error });
}

class OnoffInput implements DigitalInput {
  private closed = false;

  constructor(
    private readonly gpio: OnoffGpio,
    private readonly edge: DigitalInputOptions['edge'],
    private readonly debounceMs: number,
    private readonly name: string,
    private readonly release: () => void,
  ) {}

  async read(): Promise<Level> {
    return (await this.gpio.read()) as Level;
  }

  watch(listener: (level: Level, atMs: number) => void): () => void {
    if (this.edge === 'none') throw new Error(`${this.name} was opened with edge 'none': no edges to watch`);
    const callback = (error: Error | null | undefined, value: Level) => {
      // An epoll error carries no level; the next accepted edge will.
      if (error || this.closed) return;
      // With debounceTimeout, onoff calls back that long after the last bounce (a
      // trailing debounce), which is when the new level started to hold.
      listener(value, performance.now() - this.debounceMs);
    };
    this.gpio.watch(callback);
    return () => this.gpio.unwatch(callback);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.gpio.unexport();
  }
}

class OnoffOutput implements DigitalOutput {
  private closed = false;

  constructor(
    private readonly gpio: OnoffGpio,
    private readonly sysfsNumber: number,
    private readonly activeLow: boolean,
    private readonly name: string,
    private readonly release: () => void,
  ) {}

  async write(level: Level): Promise<void> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    await this.gpio.write(physicalLevel(level, this.activeLow));
  }

  async read(): Promise<Level> {
    return physicalLevel((await this.gpio.read()) as Level, this.activeLow);
  }

  forcedWrite(level: Level): ForcedWrite {
    return {
      kind: 'file',
      path: gpioValuePath(this.sysfsNumber),
      data: String(physicalLevel(level, this.activeLow)),
    };
  }

  /**
   * Unexports. Whether a freed line keeps driving depends on the pin controller
   * (pinctrl-bcm2835 may return it to an input), so safe levels are written before
   * close and hardware pulls define the level afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.gpio.unexport();
  }
}
