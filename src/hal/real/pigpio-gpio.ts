/**
 * Digital lines and PWM on `pigpio` (fivdi/pigpio, a wrapper of the pigpio C
 * library), the only module that imports it, at first use and through a variable
 * specifier: it is an optional dependency that loads only on a Raspberry Pi 1–4
 * with the C library installed, so TypeScript must not need it to compile.
 *
 * pigpio drives the SoC's registers through /dev/mem, which the Pi 5 does not
 * have in the same form (its GPIO is on the RP1); the C library refuses to start
 * there (joan2937/pigpio#589), so that board is detected first and pointed to the
 * sysfs backends.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  DigitalInput,
  DigitalInputOptions,
  DigitalOutput,
  Edge,
  ForcedWrite,
  GpioProvider,
  Level,
  PwmOptions,
  PwmOutput,
} from '../../device-kit/index.js';
import { DEFAULT_SYSFS_ROOT, listGpioChips } from './gpio-chip.js';

/** The parts of pigpio's Gpio used here (doc/gpio.md). */
interface PigpioGpio {
  mode(mode: number): PigpioGpio;
  digitalRead(): number;
  digitalWrite(level: number): PigpioGpio;
  pwmWrite(dutyCycle: number): PigpioGpio;
  hardwarePwmWrite(frequency: number, dutyCycle: number): PigpioGpio;
  pwmFrequency(frequency: number): PigpioGpio;
  glitchFilter(steadyUs: number): PigpioGpio;
  enableAlert(): PigpioGpio;
  disableAlert(): PigpioGpio;
  on(event: 'alert', listener: (level: number, tick: number) => void): PigpioGpio;
  removeListener(event: 'alert', listener: (level: number, tick: number) => void): PigpioGpio;
}

/** The module's exports used here (doc/gpio.md, doc/configuration.md, doc/global.md). */
interface PigpioModule {
  Gpio: { new (gpio: number, options?: { mode?: number }): PigpioGpio; INPUT: number; OUTPUT: number };
  initialize(): void;
  terminate(): void;
  configureClock(microseconds: number, peripheral: number): void;
  getTick(): number;
  CLOCK_PCM: number;
}

const PIGPIO_PACKAGE: string = 'pigpio';

export const PIGPIO_FORCED_WRITE_REASON =
  "pigpio is driven through its library, not files; the watchdog ends the process so systemd's stop hook sets the safe values";

const USE_SYSFS = "use gpio: 'onoff' and pwm: 'sysfs' (kernel sysfs GPIO and PWM) instead";

// ---------------------------------------------------------------------------------
// Pure parts

/** BCM2835/2711 PWM channel per header pin: 12 and 18 share PWM0, 13 and 19 PWM1 (doc/gpio.md, hardwarePwmWrite). */
export const HARDWARE_PWM_CHANNEL: Readonly<Record<number, 0 | 1>> = { 12: 0, 13: 1, 18: 0, 19: 1 };

export type PigpioPwmMode = { kind: 'hardware'; channel: 0 | 1 } | { kind: 'software' };

/**
 * Hardware PWM when the pin has a channel no other open pin uses (two pins on one
 * channel would carry the same signal), otherwise pigpio's DMA-timed PWM.
 */
export function choosePwmMode(pin: number, channelsInUse: ReadonlySet<number>): PigpioPwmMode {
  const channel = HARDWARE_PWM_CHANNEL[pin];
  return channel !== undefined && !channelsInUse.has(channel)
    ? { kind: 'hardware', channel }
    : { kind: 'software' };
}

function clampFraction(fraction: number): number {
  if (Number.isNaN(fraction)) throw new RangeError('PWM duty cycle is NaN');
  return Math.min(1, Math.max(0, fraction));
}

/** hardwarePwmWrite's dutyCycle: 0 (off) ..1e6 (fully on). */
export function hardwareDuty(fraction: number): number {
  return Math.round(clampFraction(fraction) * 1_000_000);
}

/** pwmWrite's dutyCycle: 0..range, range 255 unless pwmRange changed it. */
export function softwareDuty(fraction: number, range = 255): number {
  return Math.round(clampFraction(fraction) * range);
}

/** glitchFilter's steady time in µs, at most 300000 (doc/gpio.md, glitchFilter). */
export function glitchFilterUs(debounceMs: number): number {
  return Math.min(300_000, Math.max(0, Math.round(debounceMs * 1000)));
}

/** Microseconds since `eventTick`; ticks are unsigned 32-bit and wrap every ~71.6 minutes. */
export function tickAgeUs(nowTick: number, eventTick: number): number {
  return (nowTick - eventTick) >>> 0;
}

export function edgeAccepts(edge: Edge, level: Level): boolean {
  return edge === 'both' || (edge === 'rising' && level === 1) || (edge === 'falling' && level === 0);
}

/** Pi 5, Pi 500 and CM5 name themselves in the device tree; any board with RP1 GPIO has the pinctrl-rp1 chip. */
export function isRp1Board(model: string, gpioChipLabels: readonly string[]): boolean {
  return /Raspberry Pi (5|500|Compute Module 5)\b/.test(model) || gpioChipLabels.includes('pinctrl-rp1');
}

/** What went wrong when loading or starting pigpio, and what to do. */
export function explainPigpioError(error: unknown, stage: 'load' | 'initialise'): NodeJS.ErrnoException {
  const original = error as NodeJS.ErrnoException;
  const message = String(original?.message ?? error);
  let text: string;
  if (
    stage === 'load' &&
    (original?.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(message))
  ) {
    text =
      "the optional 'pigpio' package is not installed (it builds only where the pigpio C library is, " +
      `e.g. a Raspberry Pi 1–4 with \`sudo apt install pigpio\`); ${USE_SYSFS}`;
  } else if (stage === 'load') {
    text = `the 'pigpio' package could not be loaded (${message}); is the pigpio C library installed? ${USE_SYSFS}`;
  } else {
    text =
      `pigpio could not initialise (${message}): it must run as root for /dev/mem, ` +
      'and pigpiod must not be running (sudo systemctl stop pigpiod: only one process can own the hardware); ' +
      `or ${USE_SYSFS}`;
  }
  return Object.assign(new Error(`ENODEV: ${text}`), { code: 'ENODEV', cause: error });
}

// ---------------------------------------------------------------------------------
// The provider

export interface PigpioOptions {
  sysfsRoot?: string;
  /** Where `device-tree/model` is read for the Pi 5 check; `/proc` by default. */
  procRoot?: string;
  /** Sample rate in µs (1, 2, 4, 5, 8 or 10; pigpio's default 5), passed to configureClock. */
  sampleRateUs?: number;
  /** How the package is loaded; tests substitute a missing or broken one. */
  loadLibrary?: () => Promise<unknown>;
}

export class PigpioGpioProvider implements GpioProvider {
  private library: Promise<PigpioModule> | undefined;
  private readonly pinsInUse = new Set<number>();
  private readonly hardwareChannels = new Set<number>();

  constructor(private readonly options: PigpioOptions = {}) {}

  async digitalInput(pin: number, options: DigitalInputOptions): Promise<DigitalInput> {
    const lib = await this.load();
    return this.claim(pin, () => {
      const gpio = new lib.Gpio(pin, { mode: lib.Gpio.INPUT });
      const steadyUs = glitchFilterUs(options.debounceMs);
      gpio.glitchFilter(steadyUs);
      if (options.edge !== 'none') gpio.enableAlert();
      return new PigpioInput(lib, gpio, pin, options, steadyUs, () => this.pinsInUse.delete(pin));
    });
  }

  async digitalOutput(pin: number, options: { activeLow: boolean; initial: Level }): Promise<DigitalOutput> {
    const lib = await this.load();
    return this.claim(pin, () => {
      // No mode here: gpioWrite sets the level before switching to output (pigpio.c,
      // "stop a glitch between setting mode then level"), so the line starts at it.
      const gpio = new lib.Gpio(pin);
      gpio.digitalWrite(options.initial ^ Number(options.activeLow));
      return new PigpioOutput(gpio, pin, options.activeLow, () => this.pinsInUse.delete(pin));
    });
  }

  async pwm(pin: number, options: PwmOptions): Promise<PwmOutput> {
    const frequency = Math.round(options.frequencyHz);
    if (!Number.isFinite(frequency) || frequency < 1 || frequency > 125_000_000) {
      throw new RangeError(`GPIO ${pin}: PWM frequency ${options.frequencyHz} Hz is outside 1 Hz..125 MHz`);
    }
    const lib = await this.load();
    return this.claim(pin, () => {
      const mode = choosePwmMode(pin, this.hardwareChannels);
      const gpio = new lib.Gpio(pin);
      if (mode.kind === 'hardware') {
        gpio.hardwarePwmWrite(frequency, 0);
        this.hardwareChannels.add(mode.channel);
      } else {
        gpio.digitalWrite(0);
        gpio.pwmFrequency(frequency);
        gpio.pwmWrite(0);
      }
      return new PigpioPwm(gpio, pin, frequency, mode, () => {
        this.pinsInUse.delete(pin);
        if (mode.kind === 'hardware') this.hardwareChannels.delete(mode.channel);
      });
    });
  }

  /** Stops the C library (its threads and DMA); Gpio objects are unusable afterwards. */
  async close(): Promise<void> {
    const library = this.library;
    this.library = undefined;
    if (!library) return;
    const lib = await library.catch(() => undefined);
    lib?.terminate();
  }

  /** Loads and initialises pigpio once; the first caller's failure is reported to every caller. */
  load(): Promise<PigpioModule> {
    this.library ??= this.start();
    return this.library;
  }

  private async start(): Promise<PigpioModule> {
    const procRoot = this.options.procRoot ?? '/proc';
    const model = await readFile(join(procRoot, 'device-tree', 'model'), 'utf8').catch(() => '');
    const labels = await listGpioChips(this.options.sysfsRoot ?? DEFAULT_SYSFS_ROOT).then(
      (chips) => chips.map((c) => c.label),
      () => [] as string[],
    );
    // pigpio maps the BCM283x peripherals through /dev/mem: on anything but a Raspberry Pi its
    // native part loads and then fails obscurely, so say plainly what the machine is.
    if (!model.includes('Raspberry Pi') && !isRp1Board(model, labels)) {
      const found = model.replace(/\0/g, '').trim();
      throw Object.assign(
        new Error(
          `ENODEV: pigpio runs only on a Raspberry Pi (1 to 4); this machine is ${found ? `a ${found}` : 'not one (no /proc/device-tree/model)'}; ${USE_SYSFS}`,
        ),
        { code: 'ENODEV' },
      );
    }
    if (isRp1Board(model, labels)) {
      const board = model.replace(/\0/g, '').trim() || 'this board (pinctrl-rp1 GPIO)';
      throw Object.assign(
        new Error(`ENODEV: pigpio does not support ${board}: its GPIO is on the RP1 chip; ${USE_SYSFS}`),
        { code: 'ENODEV' },
      );
    }
    let lib: PigpioModule;
    try {
      const load = this.options.loadLibrary ?? (() => import(PIGPIO_PACKAGE));
      const loaded = (await load()) as { default?: PigpioModule } & Partial<PigpioModule>;
      lib = (loaded.Gpio ? loaded : loaded.default) as PigpioModule;
    } catch (error) {
      throw explainPigpioError(error, 'load');
    }
    try {
      // The PCM clock keeps the PWM peripheral free for hardwarePwmWrite (doc/gpio.md).
      if (this.options.sampleRateUs !== undefined)
        lib.configureClock(this.options.sampleRateUs, lib.CLOCK_PCM);
      lib.initialize();
    } catch (error) {
      throw explainPigpioError(error, 'initialise');
    }
    return lib;
  }

  private claim<T>(pin: number, open: () => T): T {
    if (!Number.isInteger(pin) || pin < 0 || pin > 31) {
      throw Object.assign(new RangeError(`EINVAL: GPIO ${pin}: pigpio drives user GPIOs 0..31`), {
        code: 'EINVAL',
      });
    }
    if (this.pinsInUse.has(pin)) {
      throw Object.assign(new Error(`EBUSY: GPIO ${pin} is already open`), { code: 'EBUSY' });
    }
    try {
      const line = open();
      this.pinsInUse.add(pin);
      return line;
    } catch (error) {
      throw Object.assign(new Error(`EIO: GPIO ${pin} (pigpio): ${(error as Error).message}`), {
        code: 'EIO',
        cause: error,
      });
    }
  }
}

class PigpioInput implements DigitalInput {
  private readonly handlers = new Set<(level: number, tick: number) => void>();
  private closed = false;

  constructor(
    private readonly lib: PigpioModule,
    private readonly gpio: PigpioGpio,
    private readonly pin: number,
    private readonly options: DigitalInputOptions,
    private readonly steadyUs: number,
    private readonly release: () => void,
  ) {}

  async read(): Promise<Level> {
    return (this.gpio.digitalRead() ^ Number(this.options.activeLow)) as Level;
  }

  watch(listener: (level: Level, atMs: number) => void): () => void {
    if (this.options.edge === 'none') throw new Error(`GPIO ${this.pin} was opened with edge 'none'`);
    const handler = (physical: number, tick: number) => {
      const level = (physical ^ Number(this.options.activeLow)) as Level;
      if (this.closed || !edgeAccepts(this.options.edge, level)) return;
      // Alerts arrive in batches about once a millisecond; the tick says when the
      // change was seen, and with a glitch filter it is `steady` µs after the level
      // started to hold (doc/gpio.md, glitchFilter).
      const ageUs = tickAgeUs(this.lib.getTick(), tick) + this.steadyUs;
      listener(level, performance.now() - ageUs / 1000);
    };
    this.handlers.add(handler);
    this.gpio.on('alert', handler);
    return () => {
      this.handlers.delete(handler);
      this.gpio.removeListener('alert', handler);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const handler of this.handlers) this.gpio.removeListener('alert', handler);
    this.gpio.disableAlert();
    this.release();
  }
}

class PigpioOutput implements DigitalOutput {
  private closed = false;

  constructor(
    private readonly gpio: PigpioGpio,
    private readonly pin: number,
    private readonly activeLow: boolean,
    private readonly release: () => void,
  ) {}

  async write(level: Level): Promise<void> {
    if (this.closed) throw new Error(`GPIO ${this.pin} is closed`);
    this.gpio.digitalWrite(level ^ Number(this.activeLow));
  }

  async read(): Promise<Level> {
    return (this.gpio.digitalRead() ^ Number(this.activeLow)) as Level;
  }

  forcedWrite(): ForcedWrite {
    return { kind: 'unsupported', reason: PIGPIO_FORCED_WRITE_REASON };
  }

  /** pigpio has no per-line release; the line keeps its level until the library is terminated. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

class PigpioPwm implements PwmOutput {
  private fraction = 0;
  private closed = false;

  constructor(
    private readonly gpio: PigpioGpio,
    private readonly pin: number,
    private readonly frequency: number,
    private readonly mode: PigpioPwmMode,
    private readonly release: () => void,
  ) {}

  async setDutyCycle(fraction: number): Promise<void> {
    if (this.closed) throw new Error(`GPIO ${this.pin} PWM is closed`);
    if (this.mode.kind === 'hardware') this.gpio.hardwarePwmWrite(this.frequency, hardwareDuty(fraction));
    else this.gpio.pwmWrite(softwareDuty(fraction));
    this.fraction = clampFraction(fraction);
  }

  dutyCycle(): number {
    return this.fraction;
  }

  forcedWrite(): ForcedWrite {
    return { kind: 'unsupported', reason: PIGPIO_FORCED_WRITE_REASON };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}
