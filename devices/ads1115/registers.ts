/**
 * ADS1115 register layout and the pure conversions between config fields, output
 * codes and volts (TI SBAS444D §9.6 Register Map). No I/O: the driver and the
 * simulator share these so they cannot disagree about a bit position.
 */
import { getBits, setBits, toSigned, toUnsigned } from '../../src/device-kit/index.js';

/** Address pointer values, §9.6.1. */
export const Register = { conversion: 0, config: 1, loThresh: 2, hiThresh: 3 } as const;

/** Power-on values, §9.6.2–§9.6.4. */
export const RESET = { conversion: 0x0000, config: 0x8583, loThresh: 0x8000, hiThresh: 0x7fff } as const;

/** Position in this list is the MUX[2:0] field value (§9.6.3; §9.3.1 for which pairs exist). */
export const MUX_SETTINGS = [
  'ain0-ain1',
  'ain0-ain3',
  'ain1-ain3',
  'ain2-ain3',
  'ain0',
  'ain1',
  'ain2',
  'ain3',
] as const;
export type MuxSetting = (typeof MUX_SETTINGS)[number];

/** Positive and negative input of each MUX setting; `null` is GND (single-ended). */
export const MUX_PINS: Record<MuxSetting, readonly [number, number | null]> = {
  'ain0-ain1': [0, 1],
  'ain0-ain3': [0, 3],
  'ain1-ain3': [1, 3],
  'ain2-ain3': [2, 3],
  ain0: [0, null],
  ain1: [1, null],
  ain2: [2, null],
  ain3: [3, null],
};

/** Position is the PGA[2:0] field value; codes 101, 110 and 111 all select ±0.256 V (§9.3.3, §9.6.3). */
export const FULL_SCALES_V = [6.144, 4.096, 2.048, 1.024, 0.512, 0.256] as const;
export type FullScaleV = (typeof FULL_SCALES_V)[number];

/** Position is the DR[2:0] field value, in samples per second (§9.3.6, §9.6.3). */
export const DATA_RATES = [8, 16, 32, 64, 128, 250, 475, 860] as const;
export type DataRate = (typeof DATA_RATES)[number];

/**
 * The internal oscillator sets the conversion time and may run up to 10% slow
 * (§9.3.5; data-rate variation ±10% in §7.5), so waits are stretched by this much.
 */
export const OSCILLATOR_TOLERANCE = 0.1;

const FIELD = {
  os: [15, 1],
  mux: [12, 3],
  pga: [9, 3],
  mode: [8, 1],
  dr: [5, 3],
  compMode: [4, 1],
  compPol: [3, 1],
  compLat: [2, 1],
  compQue: [0, 2],
} as const satisfies Record<string, readonly [number, number]>;

/** COMP_QUE = 11 disables the comparator and leaves ALERT/RDY high-impedance (§9.6.3). */
const COMPARATOR_DISABLED = 0b11;

export interface ConversionSettings {
  mux: MuxSetting;
  fullScaleV: FullScaleV;
  dataRate: DataRate;
}

export interface ConfigFields extends ConversionSettings {
  /** On read: true when no conversion is running (§9.6.3 OS). */
  idle: boolean;
  singleShot: boolean;
  comparatorQueue: number;
}

/**
 * A config word for single-shot mode with the comparator off. `start` sets OS, which
 * begins one conversion when the device is powered down (§9.4.2.1).
 */
export function encodeSingleShot(settings: ConversionSettings, start: boolean): number {
  let word = 0;
  word = setBits(word, ...FIELD.os, start ? 1 : 0);
  word = setBits(word, ...FIELD.mux, MUX_SETTINGS.indexOf(settings.mux));
  word = setBits(word, ...FIELD.pga, FULL_SCALES_V.indexOf(settings.fullScaleV));
  word = setBits(word, ...FIELD.mode, 1);
  word = setBits(word, ...FIELD.dr, DATA_RATES.indexOf(settings.dataRate));
  return setBits(word, ...FIELD.compQue, COMPARATOR_DISABLED);
}

export function decodeConfig(word: number): ConfigFields {
  return {
    idle: getBits(word, ...FIELD.os) === 1,
    mux: MUX_SETTINGS[getBits(word, ...FIELD.mux)]!,
    fullScaleV: FULL_SCALES_V[Math.min(getBits(word, ...FIELD.pga), FULL_SCALES_V.length - 1)]!,
    singleShot: getBits(word, ...FIELD.mode) === 1,
    dataRate: DATA_RATES[getBits(word, ...FIELD.dr)]!,
    comparatorQueue: getBits(word, ...FIELD.compQue),
  };
}

/** The bits a write stores as written; OS reads back as status instead (§9.6.3). */
export const CONFIG_SETTINGS_MASK = 0x7fff;

export function isConversionDone(configWord: number): boolean {
  return decodeConfig(configWord).idle;
}

/** Nominal time of one single-shot conversion: one data period (§9.3.6). */
export function conversionTimeMs(dataRate: DataRate): number {
  return 1000 / dataRate;
}

/** The conversion register is two's complement; one LSB is FS / 2^15 (§9.3.3, §9.5.4). */
export function codeToVolts(code: number, fullScaleV: FullScaleV): number {
  return (toSigned(code, 16) * fullScaleV) / 32768;
}

/** The output saturates at 7FFFh / 8000h for inputs at or beyond ±FS (§9.5.4), so these codes mean "clipped". */
export function isClipped(code: number): boolean {
  return code === 0x7fff || code === 0x8000;
}

/** The ideal transfer function of §9.5.4, as the simulator produces it: quantise, then clip. */
export function voltsToCode(volts: number, fullScaleV: FullScaleV): number {
  const ideal = Math.round((volts * 32768) / fullScaleV);
  return toUnsigned(Math.max(-32768, Math.min(32767, ideal)), 16);
}
