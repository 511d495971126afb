/**
 * Current_LSB and the calibration register, after SBOS448G §8.5.1. The chip computes
 * Current = Shunt × Cal / 4096 and Power = Current × Bus / 5000 (§8.6.3.3, §8.6.3.4);
 * Cal = trunc(0.04096 / (Current_LSB × R_shunt)) makes one Current count worth
 * Current_LSB amperes and one Power count 20 × Current_LSB watts.
 */

/** §8.5.1 Equation 1: the fixed value that keeps that scaling with a 10 µV shunt LSB and the /4096. */
export const CAL_NUMERATOR = 0.04096;

/** Bit 0 of the calibration register is void and always reads 0 (§8.6.4.1), so the chip holds even values only. */
const CAL_WRITABLE_BITS = 0xfffe;

export interface CalibrationPlan {
  currentLsbA: number;
  powerLsbW: number;
  /** The register value, as the chip holds it. */
  calibration: number;
}

/** §8.5.1 Equation 2: the Current register has 15 bits beside the sign, so the finest useful LSB is max/2^15. */
export function minimumCurrentLsbA(maxCurrentA: number): number {
  return maxCurrentA / 32768;
}

export function calibrationFor(currentLsbA: number, shuntOhms: number): number {
  const exact = CAL_NUMERATOR / (currentLsbA * shuntOhms);
  // In binary floating point 0.04096 / (0.001 × 0.002) is 20480.000000000004 and other exact quotients
  // land a hair below their integer; rounding to 12 digits first keeps trunc from losing a count.
  return Math.trunc(Number(exact.toPrecision(12)));
}

/**
 * Current_LSB is the minimum of Equation 2 unless a rounder value is chosen, as the
 * datasheet suggests for easy reading of the registers (it rounds 457.8 µA up to 1 mA).
 * Throws RangeError when the result cannot be programmed.
 */
export function planCalibration(o: {
  shuntOhms: number;
  maxCurrentA: number;
  currentLsbA?: number | undefined;
}): CalibrationPlan {
  const minimum = minimumCurrentLsbA(o.maxCurrentA);
  const currentLsbA = o.currentLsbA ?? minimum;
  if (currentLsbA < minimum * (1 - 1e-9)) {
    throw new RangeError(
      `currentLsbA ${currentLsbA} A is below maxCurrentA / 2^15 = ${minimum} A: the current register would overflow before maxCurrentA`,
    );
  }
  const exact = calibrationFor(currentLsbA, o.shuntOhms);
  if (exact > CAL_WRITABLE_BITS) {
    throw new RangeError(
      `calibration ${exact} does not fit the 16-bit register: raise maxCurrentA or currentLsbA`,
    );
  }
  const calibration = exact & CAL_WRITABLE_BITS;
  if (calibration === 0) {
    throw new RangeError(
      'calibration rounds to 0, which disables current and power: lower currentLsbA or maxCurrentA',
    );
  }
  return { currentLsbA, powerLsbW: 20 * currentLsbA, calibration };
}

/**
 * Everything wrong with a set of options, for the schema and for the driver factory
 * (the node config merges only the options' fields, so a cross-field check on the
 * schema alone would not run there).
 */
export function optionProblems(o: {
  shuntOhms: number;
  maxCurrentA: number;
  currentLsbA?: number | undefined;
  shuntRangeMv: number;
}): string[] {
  const problems: string[] = [];
  try {
    planCalibration(o);
  } catch (error) {
    problems.push((error as Error).message);
  }
  // Beyond the PGA range the shunt ADC clips before maxCurrentA is reached (§8.3.1.2).
  const dropMv = o.maxCurrentA * o.shuntOhms * 1000;
  if (dropMv > o.shuntRangeMv * (1 + 1e-9)) {
    problems.push(
      `maxCurrentA × shuntOhms = ${dropMv.toPrecision(4)} mV exceeds the ±${o.shuntRangeMv} mV shunt range (shuntRangeMv)`,
    );
  }
  return problems;
}
