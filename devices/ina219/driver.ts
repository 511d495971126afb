/**
 * INA219 driver: configures continuous shunt and bus conversion with the computed
 * calibration, then reads the four result registers each period. Registers are
 * 16-bit MSB first (§8.5.6), moved as swapped SMBus words.
 */
import {
  DeviceFault,
  type I2cBus,
  i2cLocation,
  matchesIdentity,
  readRegister16,
  requireIdentity,
  type SensorDriver,
  type Timing,
  writeRegister16,
} from '../../src/device-kit/index.js';
import { optionProblems, planCalibration } from './calibration.js';
import type { Ina219Options } from './index.js';
import { toReadings } from './readings.js';
import { CONFIG_RESET, cycleTimeMs, encodeConfig, Register } from './registers.js';

/** Conversion times in the electrical characteristics run up to ~10% over typical (§7.5). */
const CONVERSION_TOLERANCE = 0.1;

/** RST (bit 15) self-clears and reads 0 (§8.6.2.1), so read-back compares the other bits. */
const CONFIG_READBACK_MASK = 0x7fff;

/**
 * For `benchloop scan`: the config register reads 399Fh after power-up (§8.6.2.1).
 * A chip configured since (by this driver with non-default options, say) is not
 * recognised, and the INA220 shares the value.
 */
export function identifyIna219(bus: I2cBus, address: number): Promise<boolean> {
  return matchesIdentity(bus, address, [
    { name: 'config', register: Register.config, width: 16, expected: CONFIG_RESET },
  ]);
}

export function createIna219Driver(
  io: { bus: I2cBus; address: number; timing: Timing },
  options: Ina219Options,
): SensorDriver {
  const { bus, address, timing } = io;
  const problems = optionProblems(options);
  if (problems.length > 0) {
    throw new DeviceFault('config', `${i2cLocation(bus, address)}: INA219 ${problems.join('; ')}`);
  }
  const plan = planCalibration(options);
  const config = encodeConfig(options);
  const settleMs = Math.ceil(cycleTimeMs(config) * (1 + CONVERSION_TOLERANCE)) + 1;
  const context = { plan, shuntRangeMv: options.shuntRangeMv, busVoltageRangeV: options.busVoltageRangeV };

  const readRegister = (register: number) => readRegister16(bus, address, register);
  const writeRegister = (register: number, value: number) => writeRegister16(bus, address, register, value);

  /** Config, then calibration; current and power follow the new calibration from the next conversion on. */
  async function configure(): Promise<void> {
    await writeRegister(Register.config, config);
    await writeRegister(Register.calibration, plan.calibration);
    await timing.sleep(settleMs);
  }

  return {
    /** Writes config and calibration and reads both back: a chip that does not keep them is not an INA219. */
    async init() {
      await writeRegister(Register.config, config);
      await writeRegister(Register.calibration, plan.calibration);
      await requireIdentity(bus, address, 'an INA219', [
        {
          name: 'config',
          register: Register.config,
          width: 16,
          field: (word) => word & CONFIG_READBACK_MASK,
          expected: config,
        },
        { name: 'calibration', register: Register.calibration, width: 16, expected: plan.calibration },
      ]);
      await timing.sleep(settleMs);
    },

    async read() {
      // A power-on reset (a brown-out on VS, or RST) clears the calibration register to 0 (§8.6.2.1,
      // §8.6.4.1). The chip then keeps converting with its reset config, and current and power read 0
      // (§8.5.3): plausible, wrong values. So every read checks it and reprograms the chip.
      if ((await readRegister(Register.calibration)) !== plan.calibration) await configure();
      const shunt = await readRegister(Register.shuntVoltage);
      const busWord = await readRegister(Register.busVoltage);
      const current = await readRegister(Register.current);
      const power = await readRegister(Register.power);
      return toReadings({ shunt, bus: busWord, current, power }, context);
    },
  };
}
