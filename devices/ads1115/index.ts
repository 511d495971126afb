/**
 * TI ADS1115: 16-bit delta-sigma ADC with four inputs, used single-ended or as
 * differential pairs, each input with its own full scale. Channels are in volts; the
 * channel pipeline (`channels.<name>.calibration`) turns them into engineering units.
 */
import { defineI2cSensor, Ucum, z } from '../../src/device-kit/index.js';
import { createAds1115Driver, identifyAds1115 } from './driver.js';
import { DATA_RATES, FULL_SCALES_V, MUX_SETTINGS } from './registers.js';
import { Ads1115Sim } from './sim.js';

/** Channel ids travel in topics and config keys, so they stay plain identifiers. */
const CHANNEL_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const input = z.strictObject({
  name: z.string().regex(CHANNEL_NAME, 'a channel name is a letter followed by letters, digits, _ or -'),
  mux: z.enum(MUX_SETTINGS),
  /** ±FS in volts. Whatever the range, no input may go below GND − 0.3 V or above VDD + 0.3 V (§7.1). */
  fullScaleV: z.literal([...FULL_SCALES_V]).default(4.096),
});

/** Every input single-ended at ±4.096 V, which covers 0–3.3 V signals on a Pi-powered board. */
const DEFAULT_INPUTS = (['ain0', 'ain1', 'ain2', 'ain3'] as const).map((mux) => ({
  name: mux,
  mux,
  fullScaleV: 4.096 as const,
}));

export const options = z.strictObject({
  inputs: z
    .array(input)
    .min(1)
    .superRefine((inputs, ctx) => {
      const seen = new Set<string>();
      inputs.forEach((i, index) => {
        if (seen.has(i.name))
          ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate name ${i.name}` });
        seen.add(i.name);
      });
    })
    .default(() => DEFAULT_INPUTS),
  /** Samples per second for every input; one conversion takes 1/dataRate (§9.3.6). */
  dataRate: z.literal([...DATA_RATES]).default(128),
});

export type Ads1115Options = z.infer<typeof options>;
export type Ads1115Input = Ads1115Options['inputs'][number];

export const definition = defineI2cSensor({
  kind: 'sensor',
  transport: 'i2c',
  type: 'ads1115',
  title: 'TI ADS1115 16-bit ADC (4 single-ended / 2 differential inputs)',
  options,
  // ADDR tied to GND, VDD, SDA or SCL (§9.5.1.1).
  addresses: [0x48, 0x49, 0x4a, 0x4b],
  channels: (o) =>
    o.inputs.map((i) => ({
      id: i.name,
      unit: Ucum.volt,
      description: `${i.mux.toUpperCase().replace('-', '–')}${i.mux.includes('-') ? '' : ' vs GND'}, ±${i.fullScaleV} V`,
    })),
  create: (io, o) => createAds1115Driver(io, o),
  identify: identifyAds1115,
  simulator: ({ clock }) => new Ads1115Sim(clock),
});
