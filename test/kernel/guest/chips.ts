/**
 * The register-based chips of devices/ as the tier puts them into i2c-stub: each
 * chip's simulator measures fixed inputs, its driver reads it on the simulated bus,
 * and the simulator's register image after that read is what the stub gets. The
 * same driver then reads the stub through the real i2c-bus backend, and must
 * report exactly what it reported on the simulated bus.
 *
 * i2c-stub keeps one 16-bit word per register. A byte write sets the low byte and
 * keeps the high one; a byte read or an I2C block read returns low bytes; a word
 * read returns the word. So byte-register images (BME280) are loaded with byte
 * writes, 16-bit ones as SMBus words (low byte first, as registerImage() gives them).
 */
import { deviceDefinitions } from '../../../devices/index.js';
import type {
  ChannelReading,
  I2cBus,
  I2cSensorDefinition,
  SimI2cDevice,
  SimInputs,
  Timing,
} from '../../../src/device-kit/index.js';
import { SimI2cBus } from '../../../src/hal/sim/sim-i2c-bus.js';

export interface StubChip {
  type: string;
  address: number;
  /** Device options, as in a config file (the daemon's config gets them verbatim). */
  options: Record<string, unknown>;
  /** What the simulator measures. */
  inputs: SimInputs;
  /** Why the driver cannot run on i2c-stub, when it cannot. */
  noDriverOnStub?: string;
}

/** Addresses are each chip's default or a legal alternative, none shared. */
export const STUB_CHIPS: readonly StubChip[] = [
  {
    type: 'bme280',
    address: 0x76,
    options: { oversampling: { temperature: 2, pressure: 4, humidity: 1 } },
    inputs: { temperatureC: 23.4, pressurePa: 99_870, humidityPct: 41.5 },
  },
  {
    type: 'ads1115',
    address: 0x48,
    // One input: i2c-stub holds one conversion result, where the chip would convert each mux setting.
    options: { inputs: [{ name: 'ph', mux: 'ain0-ain1', fullScaleV: 0.512 }], dataRate: 250 },
    inputs: { ain0V: 1.618, ain1V: 1.5025 },
  },
  {
    type: 'tmp117',
    address: 0x49,
    options: {},
    inputs: { temperatureC: 30.2 },
    noDriverOnStub:
      'its driver waits for Data_Ready, a flag the chip sets after each conversion; i2c-stub only returns what was written',
  },
  {
    type: 'mcp9808',
    address: 0x18,
    options: { resolution: 0.0625 },
    inputs: { temperatureC: 36.8125 },
  },
  {
    type: 'ina219',
    address: 0x40,
    options: { shuntOhms: 0.1, maxCurrentA: 2, busVoltageRangeV: 16, shuntRangeMv: 320 },
    inputs: { currentA: 0.8125, busVoltageV: 12.04 },
  },
];

export const timing: Timing = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  nowMs: () => performance.now(),
};

export function definitionOf(type: string): I2cSensorDefinition {
  const definition = deviceDefinitions.find((d) => d.type === type);
  if (definition?.kind !== 'sensor' || definition.transport !== 'i2c') {
    throw new Error(`${type} is not an I2C sensor of devices/`);
  }
  return definition;
}

export type RegisterImage = ReturnType<NonNullable<SimI2cDevice['registerImage']>>;

function simulator(chip: StubChip): SimI2cDevice {
  const definition = definitionOf(chip.type);
  const sim = definition.simulator({
    clock: timing,
    address: chip.address,
    options: definition.options.parse(chip.options),
  });
  sim.setInputs(chip.inputs);
  return sim;
}

function imageOf(sim: SimI2cDevice, type: string): RegisterImage {
  if (!sim.registerImage) throw new Error(`the ${type} simulator has no registerImage()`);
  return sim.registerImage();
}

/** The chip as it powers up: what `benchloop scan` identifies. */
export function powerOnImage(chip: StubChip): RegisterImage {
  return imageOf(simulator(chip), chip.type);
}

/** The driver's readings on the simulated bus, and the simulator's registers after them. */
export async function simulatedRead(
  chip: StubChip,
): Promise<{ readings: ChannelReading[]; image: RegisterImage }> {
  const definition = definitionOf(chip.type);
  const sim = simulator(chip);
  const bus = new SimI2cBus(1);
  bus.attach(chip.address, sim);
  const driver = definition.create(
    { bus, address: chip.address, timing },
    definition.options.parse(chip.options),
  );
  await driver.init();
  const readings = await driver.read();
  await driver.close?.();
  return { readings, image: imageOf(sim, chip.type) };
}

/** The driver's readings through `bus` (the real backend on i2c-stub). */
export async function readThrough(bus: I2cBus, chip: StubChip): Promise<ChannelReading[]> {
  const definition = definitionOf(chip.type);
  const driver = definition.create(
    { bus, address: chip.address, timing },
    definition.options.parse(chip.options),
  );
  await driver.init();
  const readings = await driver.read();
  await driver.close?.();
  return readings;
}

/** Writes an image into a stub chip through `bus`: byte registers with byte writes, 16-bit ones as words. */
export async function loadImage(bus: I2cBus, address: number, image: RegisterImage): Promise<number> {
  let transfers = 0;
  for (const [register, byte] of image.bytes ?? []) {
    await bus.writeByte(address, register, byte);
    transfers += 1;
  }
  for (const [register, word] of image.words ?? []) {
    await bus.writeWord(address, register, word);
    transfers += 1;
  }
  return transfers;
}

/** Reads every register of the image back through `bus`; the differences, as text. */
export async function imageDifferences(
  bus: I2cBus,
  address: number,
  image: RegisterImage,
): Promise<string[]> {
  const differences: string[] = [];
  const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;
  for (const [register, byte] of image.bytes ?? []) {
    const found = await bus.readByte(address, register);
    if (found !== byte)
      differences.push(`register ${hex(register, 2)}: ${hex(found, 2)}, not ${hex(byte, 2)}`);
  }
  for (const [register, word] of image.words ?? []) {
    const found = await bus.readWord(address, register);
    if (found !== word)
      differences.push(`register ${hex(register, 2)}: ${hex(found, 4)}, not ${hex(word, 4)}`);
  }
  return differences;
}

/** "temperature 23.4, pressure 99870" for the log. */
export function describeReadings(readings: readonly ChannelReading[]): string {
  return readings
    .map((r) => `${r.channel} ${r.value === null ? `bad (${r.error})` : Number(r.value.toPrecision(7))}`)
    .join(', ');
}
