/** Maxim DS18B20: 1-Wire temperature sensor, read through Linux's w1_therm driver. */
import { defineOneWireSensor, Ucum, z } from '../../src/device-kit/index.js';
import { createDs18b20Driver } from './driver.js';
import { Ds18b20Sim } from './sim.js';

export const options = z.strictObject({
  /**
   * Informational: the kernel sets the resolution (echo 9…12 > …/resolution) and the
   * driver decodes by the configuration byte it reads. The simulator uses it.
   */
  resolutionBits: z.union([z.literal(9), z.literal(10), z.literal(11), z.literal(12)]).default(12),
});

export type Ds18b20Config = z.infer<typeof options>;

export const definition = defineOneWireSensor<Ds18b20Config>({
  kind: 'sensor',
  transport: '1-wire',
  type: 'ds18b20',
  title: 'Maxim DS18B20 1-Wire digital thermometer',
  options,
  familyCode: '28',
  channels: () => [{ id: 'temperature', unit: Ucum.celsius, description: 'Temperature at the probe' }],
  create: (io, config) => createDs18b20Driver(io, config),
  simulator: ({ romId, options: config }) => new Ds18b20Sim(romId, config.resolutionBits),
});
