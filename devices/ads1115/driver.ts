/**
 * ADS1115 driver: one single-shot conversion per configured input, in turn.
 * The 16-bit registers go MSB first on the wire while SMBus words go LSB first,
 * so every register access is an SMBus word swapped with swap16 (§9.5.3); block
 * reads are avoided because Linux's i2c-stub models 16-bit registers only as words.
 */
import {
  type ChannelReading,
  DeviceFault,
  hex,
  type I2cBus,
  type SensorDriver,
  swap16,
  type Timing,
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

async function readRegister(bus: I2cBus, address: number, register: number): Promise<number> {
  return swap16(await bus.readWord(address, register));
}

/**
 * For `benchloop scan`. The ADS1115 has no id register, so this matches the
 * power-on values of Config, Lo_thresh and Hi_thresh (§9.6). It only recognises a
 * chip nobody has configured since power-up: any config write (this driver's
 * included) changes Config, and the ADS1113/4 and ADS1013/4/5 share these values.
 */
export async function identifyAds1115(bus: I2cBus, address: number): Promise<boolean> {
  try {
    const config = await readRegister(bus, address, Register.config);
    const lo = await readRegister(bus, address, Register.loThresh);
    const hi = await readRegister(bus, address, Register.hiThresh);
    return config === RESET.config && lo === RESET.loThresh && hi === RESET.hiThresh;
  } catch {
    return false;
  }
}

export function createAds1115Driver(
  io: { bus: I2cBus; address: number; timing: Timing },
  options: Ads1115Options,
): SensorDriver {
  const { bus, address, timing } = io;
  const where = `i2c-${bus.busNumber} ${hex(address)}`;
  const periodMs = conversionTimeMs(options.dataRate);
  const firstWaitMs = Math.ceil(periodMs * (1 + OSCILLATOR_TOLERANCE)) + 1;
  const pollMs = Math.max(1, Math.ceil(periodMs * OSCILLATOR_TOLERANCE));

  const writeRegister = (register: number, value: number) => bus.writeWord(address, register, swap16(value));

  async function convert(input: Ads1115Input): Promise<number> {
    const settings = { mux: input.mux, fullScaleV: input.fullScaleV, dataRate: options.dataRate };
    await writeRegister(Register.config, encodeSingleShot(settings, true));
    await timing.sleep(firstWaitMs);
    for (let poll = 0; poll <= MAX_READY_POLLS; poll++) {
      if (poll > 0) await timing.sleep(pollMs);
      // OS reads 0 while the conversion runs and 1 once the result is in the conversion register (§9.6.3).
      if (isConversionDone(await readRegister(bus, address, Register.config))) {
        return readRegister(bus, address, Register.conversion);
      }
    }
    throw new DeviceFault(
      'not-ready',
      `${where}: ADS1115 conversion of ${input.name} not ready after ${firstWaitMs + MAX_READY_POLLS * pollMs} ms (OS bit stayed 0)`,
    );
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
      await writeRegister(Register.config, expected);
      const found = (await readRegister(bus, address, Register.config)) & CONFIG_SETTINGS_MASK;
      if (found !== expected) {
        throw new DeviceFault(
          'wrong-chip-id',
          `${where}: expected an ADS1115 holding config ${hex(expected, 4)}, found ${hex(found, 4)}`,
        );
      }
    },

    async read() {
      const readings: ChannelReading[] = [];
      for (const input of options.inputs) readings.push(toReading(input, await convert(input)));
      return readings;
    },
  };
}
