/**
 * TI INA219: high-side current, bus voltage and power monitor over a shunt resistor.
 */
import { defineI2cSensor, Ucum, z } from '../../src/device-kit/index.js';
import { optionProblems } from './calibration.js';
import { createIna219Driver, identifyIna219 } from './driver.js';
import { AVERAGING, BUS_RANGES_V, SHUNT_RANGES_MV } from './registers.js';
import { Ina219Sim } from './sim.js';

export const options = z
  .strictObject({
    /** The shunt between IN+ and IN−; breakout boards carry 0.1 Ω. */
    shuntOhms: z.number().positive().default(0.1),
    /** The largest current to measure; sets Current_LSB = maxCurrentA / 2^15 (§8.5.1 Equation 2). */
    maxCurrentA: z.number().positive().default(3.2),
    /** A rounder Current_LSB than the minimum, e.g. 0.001 for 1 mA per count (§8.5.1). */
    currentLsbA: z.number().positive().optional(),
    /** BRNG: 16 or 32 V full scale; the IN− pin itself takes at most 26 V (§7.1). */
    busVoltageRangeV: z.literal([...BUS_RANGES_V]).default(32),
    /** PGA: ±40, 80, 160 or 320 mV across the shunt (§8.3.1.2). */
    shuntRangeMv: z.literal([...SHUNT_RANGES_MV]).default(320),
    /** Samples averaged per result, for both ADCs; 1 = a single 12-bit conversion (532 µs). */
    averaging: z.literal([...AVERAGING]).default(1),
  })
  .superRefine((o, ctx) => {
    for (const message of optionProblems(o)) ctx.addIssue({ code: 'custom', message });
  });

export type Ina219Options = z.infer<typeof options>;

export const definition = defineI2cSensor({
  kind: 'sensor',
  transport: 'i2c',
  type: 'ina219',
  title: 'TI INA219 current, bus voltage and power monitor',
  options,
  // A1 and A0 each tied to GND, VS, SDA or SCL (§8.5.5.1).
  addresses: Array.from({ length: 16 }, (_, i) => 0x40 + i),
  channels: () => [
    { id: 'busVoltage', unit: Ucum.volt, description: 'IN− to GND' },
    { id: 'shuntVoltage', unit: Ucum.volt, description: 'IN+ to IN−' },
    { id: 'current', unit: Ucum.ampere, description: 'through the shunt, positive from IN+ to IN−' },
    { id: 'power', unit: Ucum.watt, description: 'magnitude, bus voltage × |current|' },
  ],
  create: (io, o) => createIna219Driver(io, o),
  identify: identifyIna219,
  simulator: ({ clock, options: o }) => new Ina219Sim(clock, { shuntOhms: o.shuntOhms }),
});
