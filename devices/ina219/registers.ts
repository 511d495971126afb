/**
 * INA219 register layout and pure decoding (TI SBOS448G §8.6). No I/O: shared by
 * the driver and the simulator.
 */
import { getBits, setBits, toSigned } from '../../src/device-kit/index.js';

/** Pointer addresses, §8.6.1 Table 2. */
export const Register = {
  config: 0,
  shuntVoltage: 1,
  busVoltage: 2,
  power: 3,
  current: 4,
  calibration: 5,
} as const;

/** Config after power-on or RST: 32 V, ±320 mV, 12-bit, shunt and bus continuous (§8.6.2.1). */
export const CONFIG_RESET = 0x399f;

/** Fixed register LSBs, §8.6.3.1 and §8.6.3.2. */
export const SHUNT_LSB_V = 10e-6;
export const BUS_LSB_V = 4e-3;

/** Position is the PG field value: PGA gain /1, /2, /4, /8 (§8.6.2.1, PG bit settings). */
export const SHUNT_RANGES_MV = [40, 80, 160, 320] as const;
export type ShuntRangeMv = (typeof SHUNT_RANGES_MV)[number];

export const BUS_RANGES_V = [16, 32] as const;
export type BusRangeV = (typeof BUS_RANGES_V)[number];

/** Samples averaged per result at 12-bit resolution (§8.6.2.1, ADC settings). */
export const AVERAGING = [1, 2, 4, 8, 16, 32, 64, 128] as const;
export type Averaging = (typeof AVERAGING)[number];

/** Typical conversion times in µs at 12 bits by samples averaged (§8.6.2.1, ADC settings). */
const AVERAGED_CONVERSION_US: Record<Averaging, number> = {
  1: 532,
  2: 1060,
  4: 2130,
  8: 4260,
  16: 8510,
  32: 17020,
  64: 34050,
  128: 68100,
};

/** 9-, 10-, 11- and 12-bit single conversions, for BADC/SADC codes 0X00–0X11 (same table). */
const RESOLUTION_CONVERSION_US = [84, 148, 276, 532] as const;

/** MODE 111: shunt and bus converted continuously (§8.6.2.1, mode settings). */
export const MODE_SHUNT_AND_BUS_CONTINUOUS = 0b111;

const FIELD = {
  rst: [15, 1],
  brng: [13, 1],
  pg: [11, 2],
  badc: [7, 4],
  sadc: [3, 4],
  mode: [0, 3],
} as const satisfies Record<string, readonly [number, number]>;

export interface ConfigSettings {
  busVoltageRangeV: BusRangeV;
  shuntRangeMv: ShuntRangeMv;
  averaging: Averaging;
}

export interface ConfigFields {
  reset: boolean;
  busVoltageRangeV: BusRangeV;
  shuntRangeMv: ShuntRangeMv;
  busAdc: number;
  shuntAdc: number;
  mode: number;
}

/** One sample is code 0011 (the reset value) rather than its alias 1000, so default options write 399Fh. */
export function adcCode(averaging: Averaging): number {
  return averaging === 1 ? 0b0011 : 0b1000 | Math.log2(averaging);
}

export function adcConversionUs(code: number): number {
  if (!(code & 0b1000)) return RESOLUTION_CONVERSION_US[code & 0b11]!;
  return AVERAGED_CONVERSION_US[(1 << (code & 0b111)) as Averaging];
}

export function encodeConfig(settings: ConfigSettings, mode = MODE_SHUNT_AND_BUS_CONTINUOUS): number {
  const adc = adcCode(settings.averaging);
  let word = 0;
  word = setBits(word, ...FIELD.brng, settings.busVoltageRangeV === 32 ? 1 : 0);
  word = setBits(word, ...FIELD.pg, SHUNT_RANGES_MV.indexOf(settings.shuntRangeMv));
  word = setBits(word, ...FIELD.badc, adc);
  word = setBits(word, ...FIELD.sadc, adc);
  return setBits(word, ...FIELD.mode, mode);
}

export function decodeConfig(word: number): ConfigFields {
  return {
    reset: getBits(word, ...FIELD.rst) === 1,
    busVoltageRangeV: getBits(word, ...FIELD.brng) ? 32 : 16,
    shuntRangeMv: SHUNT_RANGES_MV[getBits(word, ...FIELD.pg)]!,
    busAdc: getBits(word, ...FIELD.badc),
    shuntAdc: getBits(word, ...FIELD.sadc),
    mode: getBits(word, ...FIELD.mode),
  };
}

/** Time for one shunt plus one bus conversion in ms: a continuous cycle (§8.3.1). */
export function cycleTimeMs(config: number): number {
  const { busAdc, shuntAdc } = decodeConfig(config);
  return (adcConversionUs(busAdc) + adcConversionUs(shuntAdc)) / 1000;
}

/** Shunt voltage register: signed, sign-extended by the PGA setting, LSB 10 µV (§8.6.3.1). */
export function decodeShunt(word: number): { counts: number; volts: number } {
  const counts = toSigned(word, 16);
  return { counts, volts: counts * SHUNT_LSB_V };
}

/** Counts at the PGA's nominal full scale: 4000 at ±40 mV up to 32000 at ±320 mV (§8.6.3.1). */
export function shuntFullScaleCounts(range: ShuntRangeMv): number {
  return range * 100;
}

export interface BusReading {
  counts: number;
  volts: number;
  /** CNVR: a conversion finished since the power register was last read or the mode last written. */
  conversionReady: boolean;
  /** OVF: the current or power calculation went out of range; both are then meaningless. */
  overflow: boolean;
}

/** Bus voltage register: BD12..BD0 in bits 15..3 at 4 mV, then CNVR (bit 1) and OVF (bit 0) (§8.6.3.2). */
export function decodeBus(word: number): BusReading {
  const counts = word >> 3;
  return {
    counts,
    volts: counts * BUS_LSB_V,
    conversionReady: (word & 0b10) !== 0,
    overflow: (word & 0b1) !== 0,
  };
}

/** Counts at the bus range's full scale: 4000 at 16 V, 8000 at 32 V (§8.6.3.2). */
export function busFullScaleCounts(range: BusRangeV): number {
  return range / BUS_LSB_V;
}
