/**
 * ADS1115 driver: one single-shot conversion per configured input, in turn, over
 * SMBus word transfers swapped into the chip's MSB-first order (§9.5.3).
 */
import {
  type ChannelReading,
  type I2cBus,
  i2cLocation,
  matchesIdentity,
  pollUntil,
  type RegisterExpectation,
  readRegister16,
  requireIdentity,
  type SensorDriver,
  type Timing,
  writeRegister16,
} from '../../src/device-kit/index.js';
import type { Ads1115Input, Ads1115Options } from './index.js';
import { toReading } from './readings.js';
import {
  CONFIG_SETTINGS_MASK,
  conversionTimeMs,
  encodeSingleShot,
  isConversionDone,
  OSCILLATOR_TOLERANCE,
  RESET,
  Register,
} from './registers.js';

/** Re-reads of the OS bit after the nominal conversion time, each a tenth of a period apart. */
export const MAX_READY_POLLS = 10;

/**
 * For `benchloop scan`. The ADS1115 has no id register, so this matches the
 * power-on values of Config, Lo_thresh and Hi_thresh (§9.6). It only recognises a
 * chip nobody has configured since power-up: any config write (this driver's
 * included) changes Config, and the ADS1113/4 and ADS1013/4/5 share these values.
 */
const POWER_ON: RegisterExpectation[] = [
  { name: 'Config', register: Register.config, width: 16, expected: RESET.config },
  { name: 'Lo_thresh', register: Register.loThresh, width: 16, expected: RESET.loThresh },
  { name: 'Hi_thresh', register: Register.hiThresh, width: 16, expected: RESET.hiThresh },
];

export function identifyAds1115(bus: I2cBus, address: number): Promise<boolean> {
  return matchesIdentity(bus, address, POWER_ON);
}

export function createAds1115Driver(
  io: { bus: I2cBus; address: number; timing: Timing },
  options: Ads1115Options,
): SensorDriver {
  const { bus, address, timing } = io;
  const periodMs = conversionTimeMs(options.dataRate);

  async function convert(input: Ads1115Input): Promise<number> {
    const settings = { mux: input.mux, fullScaleV: input.fullScaleV, dataRate: options.dataRate };
    await writeRegister16(bus, address, Register.config, encodeSingleShot(settings, true));
    // OS reads 0 while the conversion runs and 1 once the result is in the conversion register (§9.6.3).
    await pollUntil(
      timing,
      {
        firstWaitMs: Math.ceil(periodMs * (1 + OSCILLATOR_TOLERANCE)) + 1,
        intervalMs: periodMs * OSCILLATOR_TOLERANCE,
        attempts: 1 + MAX_READY_POLLS,
        what: `${i2cLocation(bus, address)}: ADS1115 conversion of ${input.name}`,
        symptom: 'OS bit stayed 0',
      },
      () => readRegister16(bus, address, Register.config),
      isConversionDone,
    );
    return readRegister16(bus, address, Register.conversion);
  }

  return {
    /**
     * Without an id register, the check is that the chip keeps what is written to
     * Config (an LM75/TMP102, which also live at 0x48–0x4B, does not). OS=0 here,
     * so no conversion starts.
     */
    async init() {
      const first = options.inputs[0]!;
      const expected = encodeSingleShot(
        { mux: first.mux, fullScaleV: first.fullScaleV, dataRate: options.dataRate },
        false,
      );
      await writeRegister16(bus, address, Register.config, expected);
      await requireIdentity(bus, address, 'an ADS1115', [
        {
          name: 'config',
          register: Register.config,
          width: 16,
          field: (word) => word & CONFIG_SETTINGS_MASK,
          expected,
        },
      ]);
    },

    async read() {
      const readings: ChannelReading[] = [];
      for (const input of options.inputs) readings.push(toReading(input, await convert(input)));
      return readings;
    },
  };
}
