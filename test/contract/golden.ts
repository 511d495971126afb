/**
 * Golden test cases: a register dump (or a w1_slave text) plus device options in,
 * the readings the driver must produce out. Files live in devices/<type>/testcases/*.json:
 *   { "description": "...", "address": 118, "options": {...},
 *     "registers": { "0x88": "hex…" }        (I2C chips)   or   "w1Slave": "…" (1-Wire)
 *     "expected": { "temperature": 25.08, ... }, "tolerance": 1e-9 }
 * Expected values are exact unless a tolerance is given; `null` expects a bad sample.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelReading, DeviceDefinition, OneWireBus } from '../../src/device-kit/index.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { ManualClock } from '../support/manual-clock.js';

export interface GoldenCase {
  file: string;
  description: string;
  address?: number;
  romId?: string;
  options: Record<string, unknown>;
  registers?: Record<string, string>;
  w1Slave?: string;
  expected: Record<string, number | null>;
  tolerance?: number;
}

export function loadGoldenCases(folder: string): GoldenCase[] {
  const dir = join(folder, 'testcases');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((file) => ({ file, ...JSON.parse(readFileSync(join(dir, file), 'utf8')) }));
}

export async function runGoldenCase(
  definition: DeviceDefinition,
  golden: GoldenCase,
): Promise<ChannelReading[]> {
  const clock = new ManualClock(0);
  const options = definition.options.parse(golden.options ?? {});
  if (definition.transport === 'i2c') {
    const address = golden.address ?? definition.addresses[0]!;
    const sim = definition.simulator({ clock, address, options });
    if (!sim.loadDump) throw new Error(`${definition.type}: simulator cannot load a register dump`);
    sim.loadDump(golden.registers ?? {});
    const bus = new SimI2cBus(1);
    bus.attach(address, sim);
    const driver = definition.create({ bus, address, timing: clock }, options);
    await driver.init();
    return driver.read();
  }
  if (definition.transport === '1-wire') {
    const romId = golden.romId ?? `${definition.familyCode}-000000000001`;
    const bus: OneWireBus = {
      listDevices: async () => [romId],
      readSlave: async () => golden.w1Slave ?? '',
    };
    const driver = definition.create({ bus, romId, timing: clock }, options);
    await driver.init();
    return driver.read();
  }
  throw new Error(`${definition.type}: golden cases exist for I2C and 1-Wire chips only`);
}
