/** Sensirion SHT3x-DIS (SHT30/SHT31/SHT35): relative humidity and temperature over I2C. */
import { defineI2cSensor, Ucum, z } from '../../src/device-kit/index.js';
import { createSht3xDriver, identifySht3x } from './driver.js';
import { Sht3xSim } from './sim.js';

export const options = z.strictObject({
  /** Higher repeatability means less noise and a longer measurement (datasheet Table 4: 15/6/4 ms max). */
  repeatability: z.enum(['high', 'medium', 'low']).default('high'),
  /** On-chip heater (§4.10), for plausibility checks or driving off condensation; it warms the sensor by a few °C. */
  heater: z.boolean().default(false),
});

export type Sht3xConfig = z.infer<typeof options>;

export const definition = defineI2cSensor<Sht3xConfig>({
  kind: 'sensor',
  transport: 'i2c',
  type: 'sht3x',
  title: 'Sensirion SHT3x-DIS humidity and temperature sensor',
  options,
  // ADDR pin low: 0x44, high: 0x45 (datasheet §3, ADDR pin).
  addresses: [0x44, 0x45],
  channels: () => [
    { id: 'temperature', unit: Ucum.celsius, description: 'Air temperature at the sensor' },
    { id: 'humidity', unit: Ucum.percent, description: 'Relative humidity' },
  ],
  create: (io, config) => createSht3xDriver(io, config),
  identify: identifySht3x,
  simulator: ({ clock, address }) => new Sht3xSim(clock, address),
});
