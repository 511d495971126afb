/**
 * Compensation formulas, step for step as Bosch's reference driver BME280_SensorAPI
 * (bme280.c v3.5.0: compensate_temperature/pressure/humidity) computes them, so a
 * reading here equals the reference bit for bit: the double versions (BME280_FLOAT_ENABLE)
 * and the integer versions (default build, 64-bit pressure), clamps included.
 *
 * The reference divides (`/ 2048`, truncating toward zero) where the datasheet's §4.2.3
 * listing shifts (`>> 11`, rounding down); the two differ by one for negative
 * intermediates (BMP280 datasheet §3.11.3 example: t_fine 128423 here, 128422 there).
 * C's int32 arithmetic is emulated with Math.imul / `| 0`, int64 with BigInt.asIntN.
 */
import type { Bme280Calibration } from './calibration.js';

export const TEMPERATURE_RANGE_C = { min: -40, max: 85 } as const;
export const PRESSURE_RANGE_PA = { min: 30000, max: 110000 } as const;
export const HUMIDITY_RANGE_PCT = { min: 0, max: 100 } as const;

/** The reference's if/else-if, which keeps NaN and -0 as they are (Math.min/max would not). */
function clamp(value: number, range: { min: number; max: number }): number {
  if (value < range.min) return range.min;
  if (value > range.max) return range.max;
  return value;
}

/* ---------------------------------------------------------------- double precision */

/** Before the clamp: what the simulator inverts, since a real ADC does not clamp. */
export function temperatureDoubleUnclamped(
  adcT: number,
  cal: Bme280Calibration,
): { celsius: number; tFine: number } {
  let var1 = adcT / 16384.0 - cal.digT1 / 1024.0;
  var1 = var1 * cal.digT2;
  let var2 = adcT / 131072.0 - cal.digT1 / 8192.0;
  var2 = var2 * var2 * cal.digT3;
  return { celsius: (var1 + var2) / 5120.0, tFine: Math.trunc(var1 + var2) | 0 };
}

/** °C, clamped to -40..85; `tFine` is the int32 the reference stores for pressure and humidity. */
export function compensateTemperatureDouble(
  adcT: number,
  cal: Bme280Calibration,
): { celsius: number; tFine: number } {
  const { celsius, tFine } = temperatureDoubleUnclamped(adcT, cal);
  return { celsius: clamp(celsius, TEMPERATURE_RANGE_C), tFine };
}

/** Pa before the clamp; null where the reference's divide-by-zero guard fires. */
export function pressureDoubleUnclamped(adcP: number, cal: Bme280Calibration, tFine: number): number | null {
  let var1 = tFine / 2.0 - 64000.0;
  let var2 = (var1 * var1 * cal.digP6) / 32768.0;
  var2 = var2 + var1 * cal.digP5 * 2.0;
  var2 = var2 / 4.0 + cal.digP4 * 65536.0;
  const var3 = (cal.digP3 * var1 * var1) / 524288.0;
  var1 = (var3 + cal.digP2 * var1) / 524288.0;
  var1 = (1.0 + var1 / 32768.0) * cal.digP1;
  if (!(var1 > 0.0)) return null;
  let pressure = 1048576.0 - adcP;
  pressure = ((pressure - var2 / 4096.0) * 6250.0) / var1;
  var1 = (cal.digP9 * pressure * pressure) / 2147483648.0;
  var2 = (pressure * cal.digP8) / 32768.0;
  return pressure + (var1 + var2 + cal.digP7) / 16.0;
}

/** Pa, clamped to 30000..110000; the reference returns the minimum when the guard fires. */
export function compensatePressureDouble(adcP: number, cal: Bme280Calibration, tFine: number): number {
  const pressure = pressureDoubleUnclamped(adcP, cal, tFine);
  return pressure === null ? PRESSURE_RANGE_PA.min : clamp(pressure, PRESSURE_RANGE_PA);
}

export function humidityDoubleUnclamped(adcH: number, cal: Bme280Calibration, tFine: number): number {
  const var1 = tFine - 76800.0;
  const var2 = cal.digH4 * 64.0 + (cal.digH5 / 16384.0) * var1;
  const var3 = adcH - var2;
  const var4 = cal.digH2 / 65536.0;
  const var5 = 1.0 + (cal.digH3 / 67108864.0) * var1;
  let var6 = 1.0 + (cal.digH6 / 67108864.0) * var1 * var5;
  var6 = var3 * var4 * (var5 * var6);
  return var6 * (1.0 - (cal.digH1 * var6) / 524288.0);
}

/** %RH, clamped to 0..100. */
export function compensateHumidityDouble(adcH: number, cal: Bme280Calibration, tFine: number): number {
  return clamp(humidityDoubleUnclamped(adcH, cal, tFine), HUMIDITY_RANGE_PCT);
}

/* ---------------------------------------------------------------- integer */

/** C's int32 `a / b`: truncates toward zero. */
const div32 = (a: number, b: number) => Math.trunc(a / b) | 0;

/** Hundredths of °C (int32), clamped to -4000..8500, and t_fine. */
export function compensateTemperatureInt32(
  adcT: number,
  cal: Bme280Calibration,
): { centiCelsius: number; tFine: number } {
  // adcT is uint32 in the reference, so `adcT / 8` is an unsigned (flooring) division.
  let var1 = ((adcT >>> 3) - cal.digT1 * 2) | 0;
  var1 = div32(Math.imul(var1, cal.digT2), 2048);
  let var2 = ((adcT >>> 4) - cal.digT1) | 0;
  var2 = div32(Math.imul(div32(Math.imul(var2, var2), 4096), cal.digT3), 16384);
  const tFine = (var1 + var2) | 0;
  const temperature = div32((Math.imul(tFine, 5) + 128) | 0, 256);
  return { centiCelsius: clamp(temperature, { min: -4000, max: 8500 }), tFine };
}

const i64 = (value: bigint) => BigInt.asIntN(64, value);

/**
 * The 64-bit algorithm's intermediate in Pa as Q24.8 (the value the BMP280/BME280
 * datasheets' listing returns), or null where the divide-by-zero guard fires.
 */
export function pressureQ24p8Int64(adcP: number, cal: Bme280Calibration, tFine: number): bigint | null {
  const p1 = BigInt(cal.digP1);
  let var1 = BigInt(tFine) - 128000n;
  let var2 = i64(i64(var1 * var1) * BigInt(cal.digP6));
  var2 = i64(var2 + i64(i64(var1 * BigInt(cal.digP5)) * 131072n));
  var2 = i64(var2 + i64(BigInt(cal.digP4) * 34359738368n));
  var1 = i64(i64(i64(var1 * var1) * BigInt(cal.digP3)) / 256n + i64(i64(var1 * BigInt(cal.digP2)) * 4096n));
  const var3 = 140737488355328n;
  var1 = i64(i64(var3 + var1) * p1) / 8589934592n;
  if (var1 === 0n) return null;
  // `1048576 - adcP` is uint32 arithmetic in C; adcP is 20-bit, so it stays positive.
  let var4 = BigInt(1048576 - adcP);
  var4 = i64(i64(i64(var4 * 2147483648n) - var2) * 3125n) / var1;
  var1 = i64(i64(BigInt(cal.digP9) * (var4 / 8192n)) * (var4 / 8192n)) / 33554432n;
  var2 = i64(BigInt(cal.digP8) * var4) / 524288n;
  return i64(i64(var4 + var1 + var2) / 256n + BigInt(cal.digP7) * 16n);
}

/** Hundredths of Pa (uint32), clamped to 3000000..11000000 as the reference does. */
export function compensatePressureInt64(adcP: number, cal: Bme280Calibration, tFine: number): number {
  const q24p8 = pressureQ24p8Int64(adcP, cal, tFine);
  if (q24p8 === null) return 3000000;
  const pressure = Number(BigInt.asUintN(32, ((q24p8 / 2n) * 100n) / 128n));
  return clamp(pressure, { min: 3000000, max: 11000000 });
}

/** 1/1024 %RH (uint32), clamped to 0..102400. */
export function compensateHumidityInt32(adcH: number, cal: Bme280Calibration, tFine: number): number {
  const var1 = (tFine - 76800) | 0;
  let var2 = Math.imul(adcH, 16384);
  let var3 = Math.imul(cal.digH4, 1048576);
  let var4 = Math.imul(cal.digH5, var1);
  let var5 = div32((((var2 - var3) | 0) - var4 + 16384) | 0, 32768);
  var2 = div32(Math.imul(var1, cal.digH6), 1024);
  var3 = div32(Math.imul(var1, cal.digH3), 2048);
  var4 = (div32(Math.imul(var2, (var3 + 32768) | 0), 1024) + 2097152) | 0;
  var2 = div32((Math.imul(var4, cal.digH2) + 8192) | 0, 16384);
  var3 = Math.imul(var5, var2);
  var4 = div32(Math.imul(div32(var3, 32768), div32(var3, 32768)), 128);
  var5 = (var3 - div32(Math.imul(var4, cal.digH1), 16)) | 0;
  var5 = clamp(var5, { min: 0, max: 419430400 });
  return Math.min(div32(var5, 4096), 102400);
}

/* ---------------------------------------------------------------- both modes, output units */

export type CompensationMode = 'float' | 'integer';

export interface Compensated {
  temperatureC: number;
  pressurePa: number;
  humidityPct: number;
}

/** One sample in the driver's output units (°C, Pa, %RH) in the chosen mode. */
export function compensate(
  raw: { adcT: number; adcP: number; adcH: number },
  cal: Bme280Calibration,
  mode: CompensationMode,
): Compensated {
  if (mode === 'float') {
    const { celsius, tFine } = compensateTemperatureDouble(raw.adcT, cal);
    return {
      temperatureC: celsius,
      pressurePa: compensatePressureDouble(raw.adcP, cal, tFine),
      humidityPct: compensateHumidityDouble(raw.adcH, cal, tFine),
    };
  }
  const { centiCelsius, tFine } = compensateTemperatureInt32(raw.adcT, cal);
  return {
    temperatureC: centiCelsius / 100,
    pressurePa: compensatePressureInt64(raw.adcP, cal, tFine) / 100,
    humidityPct: compensateHumidityInt32(raw.adcH, cal, tFine) / 1024,
  };
}
