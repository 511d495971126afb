/** TI TMP117: ±0.1 °C digital temperature sensor, 16-bit result, I2C (SNOSD82D). */
import { defineI2cSensor, Ucum, z } from '../../src/device-kit/index.js';
import { AVERAGES, CYCLES_MS } from './conversion-timing.js';
import { identifyTmp117, Tmp117Driver } from './driver.js';
import { LSB_C } from './registers.js';
import { Tmp117Sim } from './sim.js';

/** What the limit registers can hold (§7.3.3); values are rounded to the 7.8125 m°C LSB. */
const limitC = z
  .number()
  .min(-256)
  .max(256 - LSB_C);

export const options = z.strictObject({
  /** one-shot: a conversion per read, shutdown in between (§7.4.3); continuous: the chip's own cycle (§7.4.1). */
  conversionMode: z.enum(['one-shot', 'continuous']).default('one-shot'),
  /** Conversions averaged into each result (§7.3.2); also sets how long a one-shot takes (Table 7-7). */
  averaging: z.literal(AVERAGES).default(8),
  /** Continuous mode only: the conversion cycle, stretched by averaging as Table 7-7 says. */
  conversionCycleMs: z.literal(CYCLES_MS).default(1000),
  /** Written to THigh/TLow; without it the limits are the register's extremes and never trip. */
  alert: z
    .strictObject({ lowC: limitC, highC: limitC })
    .refine((a) => a.lowC < a.highC, { error: 'alert.lowC must be below alert.highC' })
    .optional(),
  /** alert: flags latch outside [lowC, highC] (§7.4.4.1); therm: set above highC, cleared below lowC (§7.4.4.2). */
  alertMode: z.enum(['alert', 'therm']).default('alert'),
});

export type Tmp117Options = z.output<typeof options>;

export const definition = defineI2cSensor<Tmp117Options>({
  kind: 'sensor',
  transport: 'i2c',
  type: 'tmp117',
  title: 'TI TMP117 precision temperature sensor',
  options,
  addresses: [0x48, 0x49, 0x4a, 0x4b],
  channels: () => [
    { id: 'temperature', unit: Ucum.celsius, description: 'Temperature, 7.8125 m°C resolution' },
    {
      id: 'alert',
      unit: Ucum.dimensionless,
      description: '1 while the chip flags the temperature outside the limits',
    },
  ],
  create: (io, o) => new Tmp117Driver(io, o),
  identify: identifyTmp117,
  simulator: ({ clock }) => new Tmp117Sim(clock),
});
