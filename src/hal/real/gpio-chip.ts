/**
 * Finds the board's GPIO chip and PWM chips in sysfs, and turns a BCM pin into the
 * numbers the kernel wants. Lookups read a sysfs tree under a configurable root
 * (tests build fake trees in temp folders); the choice itself is pure.
 *
 * GPIO (Documentation/ABI/obsolete/sysfs-gpio): every chip appears as
 * /sys/class/gpio/gpiochipN with `base` (its first global GPIO number), `ngpio`
 * and `label`. A BCM pin is global number base + pin. The base is not fixed:
 * pinctrl-bcm2835/bcm2711 sat at 0 until the 6.1/6.6 kernels moved dynamic bases
 * to 512 and up; on a Pi 5 the header pins are on pinctrl-rp1 (gpiochip571 on
 * 6.6), next to several gpio-brcmstb chips that must not be picked.
 *
 * PWM (Documentation/ABI/testing/sysfs-class-pwm): chips appear as
 * /sys/class/pwm/pwmchipN with `npwm`. N is an allocation order that changes
 * between kernels, so a chip is identified by its device (the `device` link, or
 * the chip's real path), e.g. RP1's PWM0 `1f00098000.pwm` on a Pi 5 or the
 * BCM2711's PWM0 `fe20c000.pwm` on a Pi 4.
 */
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, join } from 'node:path';

export const DEFAULT_SYSFS_ROOT = '/sys';

/** Header-pin chips by board: Pi 5 (RP1), Pi 4 (BCM2711), Pi 1–3 and Zero (BCM2835/6/7). */
export const KNOWN_GPIO_CHIP_LABELS: readonly string[] = [
  'pinctrl-rp1',
  'pinctrl-bcm2711',
  'pinctrl-bcm2835',
];

export interface GpioChipInfo {
  /** The sysfs entry name, `gpiochip571`. */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** Every gpiochipN under `<root>/class/gpio`, unreadable entries skipped. */
export async function listGpioChips(sysfsRoot = DEFAULT_SYSFS_ROOT): Promise<GpioChipInfo[]> {
  const dir = join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (error) {
    throw gpioSysfsMissing(dir, error);
  }
  const chips: GpioChipInfo[] = [];
  for (const name of names) {
    try {
      const [label, base, ngpio] = await Promise.all(
        ['label', 'base', 'ngpio'].map((f) => readFile(join(dir, name, f), 'utf8')),
      );
      chips.push({ name, label: label!.trim(), base: Number(base!.trim()), ngpio: Number(ngpio!.trim()) });
    } catch {
      // A chip being removed while we list it (hot-unplugged expander): not ours anyway.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip carrying the header pins: the configured label first (e.g. `gpio-mockup-A`
 * under QEMU, or an industrial PC's chip), then the known Raspberry Pi labels.
 */
export function selectGpioChip(chips: readonly GpioChipInfo[], extraLabel?: string): GpioChipInfo {
  const wanted = extraLabel ? [extraLabel, ...KNOWN_GPIO_CHIP_LABELS] : [...KNOWN_GPIO_CHIP_LABELS];
  for (const label of wanted) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  const present = chips.length
    ? chips.map((c) => `${c.name} "${c.label}" (base ${c.base}, ${c.ngpio} lines)`).join(', ')
    : 'none';
  throw Object.assign(
    new Error(
      `ENODEV: no GPIO chip labelled ${wanted.map((l) => `"${l}"`).join(', ')}; chips present: ${present}. ` +
        'Set the GPIO chip label in the configuration if this board uses another chip.',
    ),
    { code: 'ENODEV' },
  );
}

export async function findGpioChip(
  options: { sysfsRoot?: string; label?: string } = {},
): Promise<GpioChipInfo> {
  return selectGpioChip(await listGpioChips(options.sysfsRoot), options.label);
}

/** The global sysfs GPIO number of BCM `pin` on `chip` (base + pin). */
export function sysfsGpioNumber(chip: GpioChipInfo, pin: number): number {
  if (!Number.isInteger(pin) || pin < 0 || pin >= chip.ngpio) {
    throw Object.assign(
      new RangeError(
        `GPIO ${pin} is not on ${chip.name} "${chip.label}": it has lines 0..${chip.ngpio - 1} ` +
          `(sysfs ${chip.base}..${chip.base + chip.ngpio - 1})`,
      ),
      { code: 'EINVAL' },
    );
  }
  return chip.base + pin;
}

function gpioSysfsMissing(dir: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  const why =
    code === 'ENOENT'
      ? 'the kernel has no GPIO sysfs interface (CONFIG_GPIO_SYSFS) or this is not a Linux board'
      : (error as Error).message;
  return Object.assign(new Error(`${code}: cannot list ${dir}: ${why}`), { code, cause: error });
}

// ---------------------------------------------------------------------------------
// PWM

/**
 * A PWM channel as a board exposes it. `chip` names the pwmchip by its device
 * (`1f00098000.pwm`), by a fragment of its real sysfs path, by an absolute device
 * path, or, as a last resort, by its unstable entry name (`pwmchip2`).
 */
export interface PwmChannelRef {
  chip: string;
  channel: number;
}

/** Candidates per BCM pin, tried in order; only one board's chips exist at a time. */
export type PwmPinTable = Readonly<Record<number, readonly PwmChannelRef[]>>;

const RP1_PWM0 = '1f00098000.pwm';
const BCM2711_PWM0 = 'fe20c000.pwm';

/**
 * Pi 5: RP1 PWM0 has four channels, GPIO12/13/18/19 → 0/1/2/3 (RP1 peripherals
 * datasheet, bank 0 function-select table; enabled by `dtoverlay=pwm-2chan` or `pwm`).
 * Its PWM1 (`1f0009c000.pwm`) drives the fan and is never chosen.
 * Pi 4: BCM2711 PWM0 has two channels; GPIO12/18 → 0 and GPIO13/19 → 1
 * (BCM2711 ARM peripherals, PWM chapter, alternate-function table; overlay README `pwm-2chan`).
 */
export const DEFAULT_PWM_PINS: PwmPinTable = {
  12: [
    { chip: RP1_PWM0, channel: 0 },
    { chip: BCM2711_PWM0, channel: 0 },
  ],
  13: [
    { chip: RP1_PWM0, channel: 1 },
    { chip: BCM2711_PWM0, channel: 1 },
  ],
  18: [
    { chip: RP1_PWM0, channel: 2 },
    { chip: BCM2711_PWM0, channel: 0 },
  ],
  19: [
    { chip: RP1_PWM0, channel: 3 },
    { chip: BCM2711_PWM0, channel: 1 },
  ],
};

export interface PwmChipInfo {
  /** `pwmchip2` */
  name: string;
  /** `<root>/class/pwm/pwmchip2`, the path files are written through. */
  path: string;
  /** The real path of the chip folder, `/sys/devices/platform/axi/…/1f00098000.pwm/pwm/pwmchip2`. */
  realPath: string;
  /** Base name of the `device` link target, `1f00098000.pwm`; empty when there is no link. */
  device: string;
  npwm: number;
}

export interface PwmChannelLocation {
  chip: PwmChipInfo;
  channel: number;
}

export async function listPwmChips(sysfsRoot = DEFAULT_SYSFS_ROOT): Promise<PwmChipInfo[]> {
  const dir = join(sysfsRoot, 'class', 'pwm');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^pwmchip\d+$/.test(n));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') return [];
    throw Object.assign(new Error(`${code}: cannot list ${dir}: ${(error as Error).message}`), {
      code,
      cause: error,
    });
  }
  const chips: PwmChipInfo[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const realPath = await realpath(path).catch(() => path);
    const device = await readlink(join(path, 'device')).then(
      (target) => basename(target),
      () => '',
    );
    const npwm = Number((await readFile(join(path, 'npwm'), 'utf8').catch(() => '0')).trim());
    chips.push({ name, path, realPath, device, npwm });
  }
  return chips.sort((a, b) => Number(a.name.slice(7)) - Number(b.name.slice(7)));
}

export function pwmChipMatches(chip: PwmChipInfo, ref: string): boolean {
  if (ref === chip.name || (chip.device !== '' && ref === chip.device)) return true;
  if (ref.startsWith('/')) return chip.realPath === ref || chip.realPath.startsWith(`${ref}/`);
  return chip.realPath.includes(`/${ref}/`);
}

/** The first candidate of `pin` whose chip exists and has that channel. */
export function selectPwmChannel(
  chips: readonly PwmChipInfo[],
  pin: number,
  table: PwmPinTable = DEFAULT_PWM_PINS,
): PwmChannelLocation {
  const candidates = table[pin];
  if (!candidates || candidates.length === 0) {
    const pins = Object.keys(table).join(', ');
    throw Object.assign(
      new Error(`EINVAL: GPIO ${pin} has no hardware PWM in the pin table (PWM pins: ${pins})`),
      { code: 'EINVAL' },
    );
  }
  for (const ref of candidates) {
    const chip = chips.find((c) => pwmChipMatches(c, ref.chip));
    if (!chip) continue;
    if (ref.channel >= chip.npwm) {
      throw Object.assign(
        new Error(
          `EINVAL: GPIO ${pin} maps to channel ${ref.channel} of ${chip.name} (${chip.device || chip.realPath}), ` +
            `which has channels 0..${chip.npwm - 1}`,
        ),
        { code: 'EINVAL' },
      );
    }
    return { chip, channel: ref.channel };
  }
  const wanted = candidates.map((r) => `${r.chip} channel ${r.channel}`).join(' or ');
  const present = chips.length
    ? chips.map((c) => `${c.name} (${c.device || c.realPath})`).join(', ')
    : 'none';
  throw Object.assign(
    new Error(
      `ENODEV: no PWM chip for GPIO ${pin} (wanted ${wanted}; chips present: ${present}). ` +
        'Enable the PWM block with dtoverlay=pwm-2chan in /boot/firmware/config.txt (Pi 5: RP1 PWM0; ' +
        'Pi 4: pin=12,func=4,pin2=13,func2=4 for GPIO12/13) and reboot.',
    ),
    { code: 'ENODEV' },
  );
}

export async function findPwmChannel(options: {
  pin: number;
  sysfsRoot?: string;
  table?: PwmPinTable;
}): Promise<PwmChannelLocation> {
  return selectPwmChannel(await listPwmChips(options.sysfsRoot), options.pin, options.table);
}

/** Default table with configured pins replacing the defaults for those pins. */
export function mergePwmPins(overrides: Readonly<Record<number, PwmChannelRef>> | undefined): PwmPinTable {
  if (!overrides) return DEFAULT_PWM_PINS;
  const table: Record<number, readonly PwmChannelRef[]> = { ...DEFAULT_PWM_PINS };
  for (const [pin, ref] of Object.entries(overrides)) table[Number(pin)] = [ref];
  return table;
}
