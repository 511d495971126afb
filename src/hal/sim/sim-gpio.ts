/**
 * Simulated GPIO lines. Outputs live in one small file per line in `stateDir`
 * (`gpio<pin>`: the physical level `0`/`1`; `pwm<pin>`: the duty fraction as
 * decimal text), written synchronously on every write and read back on every read.
 * A real line keeps its level when the process dies, even by SIGKILL, and the safety
 * watchdog forces lines from another thread while the main loop is stalled; a file
 * does both, so tests observe levels from outside the process and a watchdog
 * `ForcedWrite` of kind `file` works the same here as on sysfs
 * (Documentation/ABI/obsolete/sysfs-gpio: `value` holds 0 or 1). Files are written in
 * place, never replaced by a rename, so a descriptor the watchdog opened in advance
 * still reaches the line.
 *
 * Inputs are driven by the simulated world (`drive`, `pulse`) and debounced as onoff
 * does (see ../debounce.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { Debouncer, type EdgeListener } from '../debounce.js';

type LineKind = 'input' | 'output' | 'pwm';
type FileWrite = Extract<ForcedWrite, { kind: 'file' }>;

function checkLevel(level: number): asserts level is Level {
  if (level !== 0 && level !== 1) throw new RangeError(`a GPIO level is 0 or 1, not ${level}`);
}

function checkDuty(fraction: number): void {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new RangeError(`a duty cycle is a fraction 0..1, not ${fraction}`);
  }
}

// String(n) is the shortest text that parses back to the same number, so the file round-trips exactly.
const formatLevel = (level: Level): string => String(level);
const formatDuty = (fraction: number): string => String(fraction);

/** Logical to physical and back: active-low inverts both ways (sysfs `active_low`). */
const applyPolarity = (level: Level, activeLow: boolean): Level =>
  activeLow ? ((1 - level) as Level) : level;

/** Open/closed bookkeeping shared by the three kinds of line. */
abstract class SimLine {
  private closed = false;

  constructor(
    readonly pin: number,
    private readonly release: () => void,
  ) {}

  protected ensureOpen(): void {
    if (this.closed) throw new Error(`sim gpio: GPIO ${this.pin} is closed`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.release();
  }

  protected onClose(): void {}
}

class SimDigitalInput extends SimLine implements DigitalInput {
  constructor(
    pin: number,
    release: () => void,
    private readonly logical: () => Level,
    private readonly debouncer: Debouncer,
  ) {
    super(pin, release);
  }

  async read(): Promise<Level> {
    this.ensureOpen();
    return this.logical();
  }

  watch(listener: EdgeListener): () => void {
    this.ensureOpen();
    return this.debouncer.subscribe(listener);
  }

  protected override onClose(): void {
    this.debouncer.stop();
  }
}

class SimDigitalOutput extends SimLine implements DigitalOutput {
  constructor(
    pin: number,
    release: () => void,
    private readonly path: string,
    private readonly activeLow: boolean,
  ) {
    super(pin, release);
  }

  async write(level: Level): Promise<void> {
    this.ensureOpen();
    const { data } = this.forcedWrite(level);
    writeFileSync(this.path, data);
  }

  async read(): Promise<Level> {
    this.ensureOpen();
    return applyPolarity(readLevelFile(this.path, this.pin), this.activeLow);
  }

  forcedWrite(level: Level): FileWrite {
    checkLevel(level);
    return { kind: 'file', path: this.path, data: formatLevel(applyPolarity(level, this.activeLow)) };
  }
}

class SimPwmOutput extends SimLine implements PwmOutput {
  constructor(
    pin: number,
    release: () => void,
    private readonly path: string,
  ) {
    super(pin, release);
  }

  async setDutyCycle(fraction: number): Promise<void> {
    this.ensureOpen();
    const { data } = this.forcedWrite(fraction);
    writeFileSync(this.path, data);
  }

  dutyCycle(): number {
    this.ensureOpen();
    return readDutyFile(this.path, this.pin);
  }

  forcedWrite(fraction: number): FileWrite {
    checkDuty(fraction);
    return { kind: 'file', path: this.path, data: formatDuty(fraction) };
  }
}

function readState(path: string, pin: number): string {
  if (!existsSync(path)) throw new Error(`sim gpio: GPIO ${pin} has no output state (${path})`);
  return readFileSync(path, 'utf8').trim();
}

function readLevelFile(path: string, pin: number): Level {
  const text = readState(path, pin);
  if (text !== '0' && text !== '1') {
    throw new Error(`sim gpio: GPIO ${pin}: ${path} holds "${text}", not 0 or 1`);
  }
  return Number(text) as Level;
}

function readDutyFile(path: string, pin: number): number {
  const text = readState(path, pin);
  const fraction = Number(text);
  if (text === '' || !Number.isFinite(fraction)) {
    throw new Error(`sim gpio: GPIO ${pin}: ${path} holds "${text}", not a duty fraction`);
  }
  return fraction;
}

export interface SimGpioOptions {
  /** Where the line files live; created if missing. */
  stateDir: string;
}

export class SimGpio implements GpioProvider {
  readonly stateDir: string;
  private readonly owners = new Map<number, LineKind>();
  /** Physical levels of input lines as the world drives them; an undriven line reads 0. */
  private readonly inputLevels = new Map<number, Level>();
  private readonly debouncers = new Map<number, Debouncer>();
  private readonly frequencies = new Map<number, number>();

  constructor(options: SimGpioOptions) {
    this.stateDir = options.stateDir;
    mkdirSync(this.stateDir, { recursive: true });
  }

  async digitalInput(pin: number, options: DigitalInputOptions): Promise<DigitalInput> {
    this.claim(pin, 'input');
    const logical = () => applyPolarity(this.inputLevels.get(pin) ?? 0, options.activeLow);
    const debouncer = new Debouncer(options.edge, options.debounceMs, logical);
    this.debouncers.set(pin, debouncer);
    return new SimDigitalInput(
      pin,
      () => {
        this.debouncers.delete(pin);
        this.owners.delete(pin);
      },
      logical,
      debouncer,
    );
  }

  async digitalOutput(pin: number, options: { activeLow: boolean; initial: Level }): Promise<DigitalOutput> {
    checkLevel(options.initial);
    this.claim(pin, 'output');
    const output = new SimDigitalOutput(
      pin,
      () => this.owners.delete(pin),
      this.levelPath(pin),
      options.activeLow,
    );
    await output.write(options.initial);
    return output;
  }

  async pwm(pin: number, options: PwmOptions): Promise<PwmOutput> {
    if (!Number.isFinite(options.frequencyHz) || options.frequencyHz <= 0) {
      throw new RangeError(
        `sim gpio: GPIO ${pin}: PWM frequency must be positive, not ${options.frequencyHz}`,
      );
    }
    this.claim(pin, 'pwm');
    const path = this.dutyPath(pin);
    // A line a previous (perhaps killed) owner left at some duty keeps it until the new owner
    // writes, as hardware does; a line never used starts off.
    if (!existsSync(path)) writeFileSync(path, formatDuty(0));
    this.frequencies.set(pin, options.frequencyHz);
    return new SimPwmOutput(
      pin,
      () => {
        this.frequencies.delete(pin);
        this.owners.delete(pin);
      },
      path,
    );
  }

  /** The world sets the physical level of an input line (a door switch, a meter's pulse output). */
  drive(pin: number, level: Level): void {
    checkPin(pin);
    checkLevel(level);
    const owner = this.owners.get(pin);
    if (owner === 'output' || owner === 'pwm') {
      throw new Error(`sim gpio: GPIO ${pin} is open as ${owner}; only input lines are driven from outside`);
    }
    if ((this.inputLevels.get(pin) ?? 0) === level) return;
    this.inputLevels.set(pin, level);
    this.debouncers.get(pin)?.interrupt();
  }

  /**
   * `count` pulses, one every `periodMs`, half the period away from the line's current
   * (idle) level and half back, so it works for active-high and open-collector (idle
   * high) outputs alike. The first pulse starts now; resolves when the last one ends.
   */
  pulse(pin: number, count: number, periodMs: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`pulse count must be a whole number, not ${count}`);
    }
    if (!(periodMs > 0)) throw new RangeError(`pulse period must be positive, not ${periodMs}`);
    const idle = this.inputLevels.get(pin) ?? 0;
    const active: Level = idle === 1 ? 0 : 1;
    const halfMs = periodMs / 2;
    return new Promise((resolve) => {
      const pulseOnce = (left: number) => {
        this.drive(pin, active);
        setTimeout(() => {
          this.drive(pin, idle);
          if (left > 1) setTimeout(() => pulseOnce(left - 1), halfMs);
          else resolve();
        }, halfMs);
      };
      if (count === 0) resolve();
      else pulseOnce(count);
    });
  }

  /** The physical level of an output line, from its file: what a meter on the pin would show. */
  outputLevel(pin: number): Level {
    checkPin(pin);
    return readLevelFile(this.levelPath(pin), pin);
  }

  /** The duty fraction of a PWM line, from its file. */
  dutyCycle(pin: number): number {
    checkPin(pin);
    return readDutyFile(this.dutyPath(pin), pin);
  }

  /** Set while a PWM line is open; undefined once it is closed. */
  frequencyHz(pin: number): number | undefined {
    return this.frequencies.get(pin);
  }

  private levelPath(pin: number): string {
    return join(this.stateDir, `gpio${pin}`);
  }

  private dutyPath(pin: number): string {
    return join(this.stateDir, `pwm${pin}`);
  }

  private claim(pin: number, kind: LineKind): void {
    checkPin(pin);
    const owner = this.owners.get(pin);
    if (owner) {
      throw new Error(`sim gpio: GPIO ${pin} is already open as ${owner}; close it before opening it again`);
    }
    this.owners.set(pin, kind);
  }
}

function checkPin(pin: number): void {
  if (!Number.isInteger(pin) || pin < 0) {
    throw new RangeError(`sim gpio: a pin is a BCM GPIO number, not ${pin}`);
  }
}
