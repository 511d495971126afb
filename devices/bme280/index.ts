/** Bosch BME280: temperature, pressure and relative humidity over I2C. */
import { defineI2cSensor, matchesIdentity, Ucum, z } from '../../src/device-kit/index.js';
import { Bme280Driver, type Bme280Options, IDENTITY } from './driver.js';
import { Bme280Sim } from './sim.js';

/** osrs_x settings (§5.4.3, §5.4.5); 0 skips the measurement. */
const oversampling = z.literal([0, 1, 2, 4, 8, 16]);

export const optionsSchema = z.strictObject({
  /** forced: one measurement per read, asleep between (§3.3.3); normal: the chip cycles on its own (§3.3.4). */
  mode: z.enum(['forced', 'normal']).default('forced'),
  oversampling: z
    .strictObject({
      temperature: oversampling.default(1),
      pressure: oversampling.default(1),
      humidity: oversampling.default(1),
    })
    .prefault({}),
  /** IIR filter coefficient for temperature and pressure (§3.4.4). */
  filter: z.union([z.literal('off'), z.literal([2, 4, 8, 16])]).default('off'),
  /** t_sb between measurements in normal mode (§5.4.6 Table 27). */
  standbyMs: z.literal([0.5, 10, 20, 62.5, 125, 250, 500, 1000]).default(1000),
  /** Which of the reference driver's compensation paths to use (README: accuracy of each). */
  compensation: z.enum(['float', 'integer']).default('float'),
});

export const definition = defineI2cSensor<Bme280Options>({
  kind: 'sensor',
  transport: 'i2c',
  type: 'bme280',
  title: 'Bosch BME280 temperature, pressure and humidity sensor',
  options: optionsSchema,
  // SDO to GND gives 0x76, SDO to VDDIO 0x77 (§6.2).
  addresses: [0x76, 0x77],
  channels: () => [
    { id: 'temperature', unit: Ucum.celsius, description: 'air temperature, -40..85 °C' },
    { id: 'pressure', unit: Ucum.pascal, description: 'barometric pressure, 30000..110000 Pa' },
    { id: 'humidity', unit: Ucum.percent, description: 'relative humidity, 0..100 %RH' },
  ],
  create: (io, options) => new Bme280Driver(io, options),
  identify: (bus, address) => matchesIdentity(bus, address, IDENTITY),
  simulator: ({ clock }) => new Bme280Sim(clock),
});
