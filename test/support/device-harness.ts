/**
 * What the device tests share: a folder's simulator on a simulated I2C bus, driven by
 * the folder's driver on a manual clock; simulated GPIO lines per test; and readings
 * as a `{ channel: value }` map.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type {
  ChannelReading,
  I2cBus,
  I2cSensorDefinition,
  SimI2cDevice,
  SimInputs,
} from '../../src/device-kit/index.js';
import { SimGpio } from '../../src/hal/sim/sim-gpio.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { ManualClock } from './manual-clock.js';

export function readChannels(readings: readonly ChannelReading[]): Record<string, number | null> {
  return Object.fromEntries(readings.map((r) => [r.channel, r.value]));
}

/**
 * The bus without block and plain transfers, for drivers of 16-bit-register chips:
 * i2c-stub models those registers only as SMBus words, so any other transfer would
 * pass here and fail there.
 */
export function wordsOnly(bus: SimI2cBus): I2cBus {
  const refuse = (name: string) => () => Promise.reject(new Error(`${name} used; use SMBus words`));
  return Object.assign(Object.create(bus) as I2cBus, {
    readI2cBlock: refuse('readI2cBlock'),
    writeI2cBlock: refuse('writeI2cBlock'),
    i2cRead: refuse('i2cRead'),
    i2cWrite: refuse('i2cWrite'),
  });
}

export interface I2cRigSetup {
  /** Device options as a config would give them, before the schema's defaults. */
  options?: unknown;
  /** The definition's first (default) address when absent. */
  address?: number;
  startMs?: number;
  /** Physical inputs the simulator starts from, beside its own defaults. */
  inputs?: SimInputs;
  /** The driver gets `wordsOnly(bus)`. */
  wordsOnly?: boolean;
}

/**
 * The chip's simulator attached to bus 1 and a driver for it, not yet initialised.
 * `S` and `O` name the folder's simulator and option types, which the registry's
 * definition type has erased.
 */
export function i2cRig<S extends SimI2cDevice = SimI2cDevice, O = unknown>(
  definition: I2cSensorDefinition,
  setup: I2cRigSetup = {},
) {
  const clock = new ManualClock(setup.startMs ?? 0);
  const address = setup.address ?? definition.addresses[0]!;
  const options = definition.options.parse(setup.options ?? {}) as O;
  const sim = definition.simulator({ clock, address, options }) as S;
  if (setup.inputs) sim.setInputs(setup.inputs);
  const bus = new SimI2cBus(1);
  bus.attach(address, sim);
  const driverBus = setup.wordsOnly ? wordsOnly(bus) : bus;
  const driver = definition.create({ bus: driverBus, address, timing: clock }, options);
  return { clock, address, options, sim, bus, driver };
}

/**
 * A fresh simulated GPIO for each test of the calling file, its line files in a temp
 * folder removed after the test. Call it at the top level of the file, after any hook
 * that must run first (fake timers); the returned function gives the current test's.
 */
export function simGpioPerTest(): () => SimGpio {
  let gpio: SimGpio | undefined;
  beforeEach(() => {
    gpio = new SimGpio({ stateDir: mkdtempSync(join(tmpdir(), 'benchloop-gpio-')) });
  });
  afterEach(() => {
    rmSync(gpio!.stateDir, { recursive: true, force: true });
    gpio = undefined;
  });
  return () => {
    if (!gpio) throw new Error('simGpioPerTest: the simulated GPIO exists only while a test runs');
    return gpio;
  };
}
