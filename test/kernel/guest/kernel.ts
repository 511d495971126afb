/**
 * The guest kernel as the checks see it, independently of the backends under test:
 * modules loaded with the initramfs's busybox, I2C adapters by name, gpio-mockup's
 * debugfs lines (pulled like a wire, read like a probe), and the kernel's own gpio
 * trace events, which record every level gpiolib sets, in order.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Where init.sh put busybox and the test modules, in the guest's scratch tmpfs. */
const TOOLS = process.env.BL_TOOLS ?? '/dev/shm/kernel-tier';

export async function run(command: string, args: string[]): Promise<string> {
  try {
    return (await exec(command, args)).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

export async function insmod(file: string, params: string[] = []): Promise<void> {
  await run(join(TOOLS, 'busybox'), ['insmod', join(TOOLS, 'modules', file), ...params]);
}

export async function rmmod(name: string): Promise<void> {
  await run(join(TOOLS, 'busybox'), ['rmmod', name]);
}

export function moduleLoaded(name: string): boolean {
  return readFileSync('/proc/modules', 'utf8')
    .split('\n')
    .some((line) => line.startsWith(`${name} `));
}

/** The I2C bus number of the adapter with this exact name (`i2c-stub`'s is "SMBus stub driver"). */
export function i2cAdapter(name: string): number {
  const adapters = readdirSync('/sys/class/i2c-dev').map((entry) => ({
    number: Number(entry.replace('i2c-', '')),
    name: readFileSync(`/sys/class/i2c-dev/${entry}/name`, 'utf8').trim(),
  }));
  const found = adapters.find((a) => a.name === name);
  if (!found) {
    const present = adapters.map((a) => `i2c-${a.number} "${a.name}"`).join(', ') || 'none';
    throw new Error(`no I2C adapter named "${name}"; present: ${present}`);
  }
  return found.number;
}

export const STUB_ADAPTER = 'SMBus stub driver';
export const READDRESS_ADAPTER = 'SMBus stub driver (readdressable)';
const READDRESS_PARAM = '/sys/module/i2c_stub_readdress/parameters/chip_addr';

/** Moves the readdressable stub's chips: as if a chip's address pins were rewired under power. */
export function readdress(addresses: readonly number[]): void {
  writeFileSync(READDRESS_PARAM, addresses.map((a) => `0x${a.toString(16)}`).join(','));
}

export interface MockupChip {
  label: string;
  /** The chip's first global GPIO number, chosen by the kernel (dynamic). */
  base: number;
  ngpio: number;
  /** /sys/kernel/debug/gpio-mockup/gpiochipN: one file per line. */
  debugfs: string;
}

export const MOCKUP_LABEL = 'gpio-mockup-A';

export function mockupChip(): MockupChip {
  const dir = '/sys/class/gpio';
  for (const entry of readdirSync(dir).filter((e) => e.startsWith('gpiochip'))) {
    const read = (file: string) => readFileSync(join(dir, entry, file), 'utf8').trim();
    if (read('label') !== MOCKUP_LABEL) continue;
    const debugRoot = '/sys/kernel/debug/gpio-mockup';
    const chips = readdirSync(debugRoot);
    if (chips.length !== 1) throw new Error(`expected one chip in ${debugRoot}, found ${chips.join(', ')}`);
    return {
      label: MOCKUP_LABEL,
      base: Number(read('base')),
      ngpio: Number(read('ngpio')),
      debugfs: join(debugRoot, chips[0]!),
    };
  }
  throw new Error(`no gpiochip labelled ${MOCKUP_LABEL} in ${dir}`);
}

/**
 * Drives an input line from outside, as a switch or a sensor's output would: the
 * mockup sets the line's pull and, for a requested input, raises the edge interrupt.
 */
export function pull(chip: MockupChip, line: number, level: 0 | 1): void {
  writeFileSync(join(chip.debugfs, String(line)), String(level));
}

/** The line's level as the mockup holds it: what an output drives, what an input sees. */
export function lineLevel(chip: MockupChip, line: number): 0 | 1 {
  const text = readFileSync(join(chip.debugfs, String(line)), 'utf8').trim();
  if (text !== '0' && text !== '1') throw new Error(`debugfs line ${line} reads "${text}"`);
  return Number(text) as 0 | 1;
}

export interface GpioTraceEvent {
  gpio: number;
  kind: 'set' | 'out' | 'in';
  value: number;
}

const TRACING = '/sys/kernel/tracing';

/**
 * gpiolib's trace events (events/gpio): `gpio_value: N set V` for every level set,
 * and `gpio_direction: N out (err)` for every direction change. The value that
 * comes with a direction write is traced as a set just before it.
 */
export const gpioTrace = {
  start(): void {
    writeFileSync(join(TRACING, 'tracing_on'), '0');
    writeFileSync(join(TRACING, 'trace'), '');
    writeFileSync(join(TRACING, 'events/gpio/enable'), '1');
    writeFileSync(join(TRACING, 'tracing_on'), '1');
  },
  events(gpio: number): GpioTraceEvent[] {
    const events: GpioTraceEvent[] = [];
    for (const line of readFileSync(join(TRACING, 'trace'), 'utf8').split('\n')) {
      const value = /gpio_value: (\d+)\s+set (\d+)/.exec(line);
      if (value && Number(value[1]) === gpio) events.push({ gpio, kind: 'set', value: Number(value[2]) });
      const direction = /gpio_direction: (\d+)\s+(in|out) \((-?\d+)\)/.exec(line);
      if (direction && Number(direction[1]) === gpio) {
        events.push({ gpio, kind: direction[2] as 'in' | 'out', value: Number(direction[3]) });
      }
    }
    return events;
  },
  /** The levels set on `gpio`, in order. */
  levelsSet(gpio: number): number[] {
    return this.events(gpio)
      .filter((e) => e.kind === 'set')
      .map((e) => e.value);
  },
};
