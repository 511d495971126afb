/**
 * Fake sysfs trees in temp folders for the real backends' tests, laid out as the
 * kernel does: class entries are links to device folders, a pwmchip's `device` is
 * a link to its platform device (Documentation/ABI/testing/sysfs-class-pwm).
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeGpioChip {
  base: number;
  ngpio: number;
  label: string;
}

export interface FakePwmChip {
  index: number;
  /** Platform device name, `1f00098000.pwm`. */
  device: string;
  npwm: number;
  /** Channels already exported, with their files' contents. */
  exported?: Record<number, { period?: number; duty?: number; enable?: 0 | 1; polarity?: string }>;
}

export async function makeTempRoot(prefix = 'benchloop-sysfs-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

export async function addGpioChips(root: string, chips: readonly FakeGpioChip[]): Promise<void> {
  const classDir = join(root, 'class', 'gpio');
  await mkdir(classDir, { recursive: true });
  await writeFile(join(classDir, 'export'), '');
  await writeFile(join(classDir, 'unexport'), '');
  for (const chip of chips) {
    const device = join(root, 'devices', 'platform', `gpio-${chip.base}`, 'gpio', `gpiochip${chip.base}`);
    await mkdir(device, { recursive: true });
    await writeFile(join(device, 'base'), `${chip.base}\n`);
    await writeFile(join(device, 'ngpio'), `${chip.ngpio}\n`);
    await writeFile(join(device, 'label'), `${chip.label}\n`);
    await symlink(device, join(classDir, `gpiochip${chip.base}`));
  }
}

export async function addPwmChips(root: string, chips: readonly FakePwmChip[]): Promise<void> {
  const classDir = join(root, 'class', 'pwm');
  await mkdir(classDir, { recursive: true });
  for (const chip of chips) {
    const platform = join(root, 'devices', 'platform', 'axi', chip.device);
    const dir = join(platform, 'pwm', `pwmchip${chip.index}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'npwm'), `${chip.npwm}\n`);
    await writeFile(join(dir, 'export'), '');
    await writeFile(join(dir, 'unexport'), '');
    await symlink(join('..', '..', '..', chip.device), join(dir, 'device'));
    await symlink(dir, join(classDir, `pwmchip${chip.index}`));
    for (const [channel, state] of Object.entries(chip.exported ?? {})) {
      await addPwmChannel(dir, Number(channel), state);
    }
  }
}

/** What the kernel creates on export: pwmM with its attribute files. */
export async function addPwmChannel(
  chipDir: string,
  channel: number,
  state: { period?: number; duty?: number; enable?: 0 | 1; polarity?: string } = {},
): Promise<void> {
  // Built aside and renamed in: the kernel adds the folder with all its attributes at once.
  const dir = join(chipDir, `pwm${channel}`);
  const building = join(chipDir, `.pwm${channel}`);
  await mkdir(building, { recursive: true });
  await writeFile(join(building, 'period'), `${state.period ?? 0}\n`);
  await writeFile(join(building, 'duty_cycle'), `${state.duty ?? 0}\n`);
  await writeFile(join(building, 'enable'), `${state.enable ?? 0}\n`);
  await writeFile(join(building, 'polarity'), `${state.polarity ?? 'normal'}\n`);
  await rename(building, dir);
}

export const PI4_GPIO_BASE_0: FakeGpioChip[] = [
  { base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

export const PI4_GPIO_BASE_512: FakeGpioChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

/** A Pi 5 on a 6.6 kernel: the RP1 bank at 571 after the BCM2712's own gpio-brcmstb chips. */
export const PI5_GPIO: FakeGpioChip[] = [
  { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
  { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
  { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
  { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
  { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
];

/** RP1 PWM1 (fan) is pwmchip0 here and PWM0 (header) pwmchip2: numbering is not a contract. */
export const PI5_PWM: FakePwmChip[] = [
  { index: 0, device: '1f0009c000.pwm', npwm: 4 },
  { index: 2, device: '1f00098000.pwm', npwm: 4 },
];

export const PI4_PWM: FakePwmChip[] = [{ index: 0, device: 'fe20c000.pwm', npwm: 2 }];

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected a rejection');
}
