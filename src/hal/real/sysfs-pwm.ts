/**
 * Kernel PWM through sysfs (Documentation/ABI/testing/sysfs-class-pwm):
 * writing a channel number to pwmchipN/export creates pwmchipN/pwmM with
 * `period` and `duty_cycle` (nanoseconds), `polarity` and `enable`.
 *
 * The kernel refuses any state whose duty cycle exceeds its period (EINVAL from
 * pwm_apply), and each file write applies one state, so the order of the period
 * and duty writes depends on which way the period moves. The arithmetic and that
 * order are pure functions here; the class is the thin file-writing shell.
 */
import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ForcedWrite, PwmOptions, PwmOutput } from '../../device-kit/index.js';
import { DEFAULT_PWM_PINS, DEFAULT_SYSFS_ROOT, findPwmChannel, type PwmPinTable } from './gpio-chip.js';

/** The file operations the backend performs, replaceable so tests can record their order. */
export interface SysfsIo {
  read(path: string): Promise<string>;
  write(path: string, data: string): Promise<void>;
  /** Whether the file exists and this process may write it. */
  writable(path: string): Promise<boolean>;
}

export const nodeSysfsIo: SysfsIo = {
  read: (path) => readFile(path, 'utf8'),
  write: (path, data) => writeFile(path, data),
  writable: (path) =>
    access(path, constants.W_OK).then(
      () => true,
      () => false,
    ),
};

export function periodNsFor(frequencyHz: number): number {
  if (!Number.isFinite(frequencyHz) || frequencyHz <= 0 || frequencyHz > 1e9) {
    throw new RangeError(`PWM frequency ${frequencyHz} Hz is outside 0 < f ≤ 1 GHz`);
  }
  return Math.round(1e9 / frequencyHz);
}

/** Fractions outside 0..1 are clamped; a controller's output saturates rather than failing. */
export function dutyNsFor(fraction: number, periodNs: number): number {
  if (Number.isNaN(fraction)) throw new RangeError('PWM duty cycle is NaN');
  return Math.round(Math.min(1, Math.max(0, fraction)) * periodNs);
}

export interface PwmState {
  periodNs: number;
  dutyNs: number;
}

export type PwmFileWrite = { file: 'period' | 'duty_cycle'; value: number };

/**
 * Writes that move `current` to `target` with duty ≤ period after each one:
 * a longer period goes first (the old duty fits under it), a shorter one last
 * (the new duty, at most the new period, fits under the old one).
 */
export function planPwmWrites(current: PwmState, target: PwmState): PwmFileWrite[] {
  if (target.dutyNs > target.periodNs) {
    throw new RangeError(`duty ${target.dutyNs} ns exceeds period ${target.periodNs} ns`);
  }
  const period: PwmFileWrite[] =
    target.periodNs === current.periodNs ? [] : [{ file: 'period', value: target.periodNs }];
  const duty: PwmFileWrite[] =
    target.dutyNs === current.dutyNs ? [] : [{ file: 'duty_cycle', value: target.dutyNs }];
  return target.periodNs >= current.periodNs ? [...period, ...duty] : [...duty, ...period];
}

export interface SysfsPwmOptions {
  sysfsRoot?: string;
  pins?: PwmPinTable;
  io?: SysfsIo;
  /**
   * After export the kernel creates pwmM at once, but udev then changes its group
   * and mode (the Raspberry Pi OS rule gives it to `gpio`), so an unprivileged
   * process must wait until the files are writable.
   */
  exportTimeoutMs?: number;
  exportPollMs?: number;
}

const CHANNEL_FILES = ['period', 'duty_cycle', 'enable'] as const;

export class SysfsPwmBackend {
  private readonly sysfsRoot: string;
  private readonly pins: PwmPinTable;
  private readonly io: SysfsIo;
  private readonly exportTimeoutMs: number;
  private readonly exportPollMs: number;
  private readonly inUse = new Set<string>();

  constructor(options: SysfsPwmOptions = {}) {
    this.sysfsRoot = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
    this.pins = options.pins ?? DEFAULT_PWM_PINS;
    this.io = options.io ?? nodeSysfsIo;
    this.exportTimeoutMs = options.exportTimeoutMs ?? 2000;
    this.exportPollMs = options.exportPollMs ?? 20;
  }

  /** Exports the pin's channel, sets the period with duty 0 and enables it. */
  async open(pin: number, options: PwmOptions): Promise<PwmOutput> {
    const periodNs = periodNsFor(options.frequencyHz);
    const { chip, channel } = await findPwmChannel({ pin, sysfsRoot: this.sysfsRoot, table: this.pins });
    const key = `${chip.realPath}#${channel}`;
    const name = `GPIO ${pin} (${chip.name} ${chip.device || chip.realPath} channel ${channel})`;
    if (this.inUse.has(key)) {
      throw Object.assign(new Error(`EBUSY: ${name} is already open`), { code: 'EBUSY' });
    }
    this.inUse.add(key);
    try {
      const dir = join(chip.path, `pwm${channel}`);
      await this.exportChannel(chip.path, channel, dir, name);
      await this.configure(dir, periodNs, name);
      return new SysfsPwmOutput(this.io, chip.path, channel, dir, periodNs, name, () =>
        this.inUse.delete(key),
      );
    } catch (error) {
      this.inUse.delete(key);
      throw error;
    }
  }

  /**
   * udev's rule changes the files one by one (Raspberry Pi OS runs a recursive chgrp),
   * so every file written later must be writable, not just the first to appear.
   */
  private async channelReady(dir: string): Promise<boolean> {
    for (const file of CHANNEL_FILES) if (!(await this.io.writable(join(dir, file)))) return false;
    return true;
  }

  private async exportChannel(chipPath: string, channel: number, dir: string, name: string): Promise<void> {
    if (await this.channelReady(dir)) return;
    try {
      await this.io.write(join(chipPath, 'export'), String(channel));
    } catch (error) {
      // EBUSY: exported already (by a previous run, or concurrently); wait for the files below.
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw wrap(error, `${name}: export failed`);
    }
    const deadline = Date.now() + this.exportTimeoutMs;
    while (!(await this.channelReady(dir))) {
      if (Date.now() >= deadline) {
        throw Object.assign(
          new Error(
            `ETIMEDOUT: ${name}: ${dir}/{${CHANNEL_FILES.join(',')}} not writable ${this.exportTimeoutMs} ms after export ` +
              '(is this user in the gpio group, with the udev rule for /sys/class/pwm?)',
          ),
          { code: 'ETIMEDOUT' },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.exportPollMs));
    }
  }

  private async configure(dir: string, periodNs: number, name: string): Promise<void> {
    const io = this.io;
    const readInt = async (file: string) => Number.parseInt((await io.read(join(dir, file))).trim(), 10) || 0;
    try {
      let enabled = (await io.read(join(dir, 'enable'))).trim() === '1';
      // Inverse polarity (left by another program) would invert every duty we write;
      // the ABI only lets it change while the channel is disabled.
      const polarity = await io.read(join(dir, 'polarity')).then(
        (p) => p.trim(),
        () => 'normal',
      );
      if (polarity !== 'normal') {
        if (enabled) await io.write(join(dir, 'enable'), '0');
        enabled = false;
        await io.write(join(dir, 'polarity'), 'normal');
      }
      const current = { periodNs: await readInt('period'), dutyNs: await readInt('duty_cycle') };
      for (const step of planPwmWrites(current, { periodNs, dutyNs: 0 })) {
        await io.write(join(dir, step.file), String(step.value));
      }
      if (!enabled) await io.write(join(dir, 'enable'), '1');
    } catch (error) {
      throw wrap(error, `${name}: configuring ${periodNs} ns period failed`);
    }
  }
}

class SysfsPwmOutput implements PwmOutput {
  private fraction = 0;
  private closed = false;
  private readonly dutyPath: string;

  constructor(
    private readonly io: SysfsIo,
    private readonly chipPath: string,
    private readonly channel: number,
    dir: string,
    private readonly periodNs: number,
    private readonly name: string,
    private readonly release: () => void,
  ) {
    this.dutyPath = join(dir, 'duty_cycle');
  }

  async setDutyCycle(fraction: number): Promise<void> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    const ns = dutyNsFor(fraction, this.periodNs);
    try {
      await this.io.write(this.dutyPath, String(ns));
    } catch (error) {
      throw wrap(error, `${this.name}: writing duty ${ns} ns`);
    }
    this.fraction = Math.min(1, Math.max(0, fraction));
  }

  dutyCycle(): number {
    return this.fraction;
  }

  forcedWrite(fraction: number): ForcedWrite {
    return { kind: 'file', path: this.dutyPath, data: String(dutyNsFor(fraction, this.periodNs)) };
  }

  /**
   * Unexports the channel and leaves the signal as it is: what the line does once
   * freed is the driver's choice, so safe values are set before close, not by it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    // Already unexported, or the chip unbound: either way nothing is held any more.
    await this.io.write(join(this.chipPath, 'unexport'), String(this.channel)).catch(() => {});
  }
}

function wrap(error: unknown, context: string): NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  return Object.assign(new Error(`${code}: ${context}: ${(error as Error).message}`), { code, cause: error });
}
