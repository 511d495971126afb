/** Microchip MCP9808: ±0.5 °C digital temperature sensor with window and critical limits, I2C (DS25095). */
import { defineI2cSensor, Ucum, z } from '../../src/device-kit/index.js';
import { identifyMcp9808, Mcp9808Driver } from './driver.js';
import { LIMIT_LSB_C, LIMIT_RANGE_C, RESOLUTIONS_C } from './registers.js';
import { Mcp9808Sim } from './sim.js';

/**
 * What TUPPER/TLOWER/TCRIT hold (§5.1.2). A limit off the 0.25 °C grid is refused rather
 * than rounded: a safety limit should not move without the configuration saying so.
 */
const limitC = z.number().min(LIMIT_RANGE_C.min).max(LIMIT_RANGE_C.max).multipleOf(LIMIT_LSB_C);

export const options = z.strictObject({
  /** °C per LSB of the result; coarser is faster: tCONV 30, 65, 130, 250 ms (§5.1.6). */
  resolution: z.literal(RESOLUTIONS_C).default(0.0625),
  /** Written to TLOWER/TUPPER/TCRIT; omitted limits are the register's extremes and never trip. */
  alert: z
    .strictObject({ lowC: limitC, highC: limitC, criticalC: limitC.optional() })
    .refine((a) => a.lowC < a.highC, { error: 'alert.lowC must be below alert.highC' })
    .optional(),
});

export type Mcp9808Options = z.output<typeof options>;

export const definition = defineI2cSensor<Mcp9808Options>({
  kind: 'sensor',
  transport: 'i2c',
  type: 'mcp9808',
  title: 'Microchip MCP9808 temperature sensor',
  options,
  addresses: [0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f],
  channels: () => [
    { id: 'temperature', unit: Ucum.celsius, description: 'Ambient temperature, 0.0625–0.5 °C resolution' },
    {
      id: 'alert',
      unit: Ucum.dimensionless,
      description: '1 while TA is above TUPPER, below TLOWER or at TCRIT',
    },
  ],
  create: (io, o) => new Mcp9808Driver(io, o),
  identify: identifyMcp9808,
  simulator: ({ clock }) => new Mcp9808Sim(clock),
});
