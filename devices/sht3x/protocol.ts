/**
 * SHT3x-DIS command codes, timings and reply framing (Sensirion datasheet SHT3x-DIS,
 * version 5, May 2018). Pure data and functions: the driver and the simulator share them.
 */
import { crc8Sensirion, hex } from '../../src/device-kit/index.js';

export type Repeatability = 'high' | 'medium' | 'low';

/** Single shot WITHOUT clock stretching (Table 9): the Pi's I2C controller mishandles stretching. */
export const MEASURE_COMMAND: Record<Repeatability, number> = { high: 0x2400, medium: 0x240b, low: 0x2416 };

/** Single shot WITH clock stretching (Table 9); recognised by the simulator only to refuse them. */
export const CLOCK_STRETCH_COMMANDS: readonly number[] = [0x2c06, 0x2c0d, 0x2c10];

export const SOFT_RESET = 0x30a2; // §4.9
export const HEATER_ON = 0x306d; // §4.10, Table 16
export const HEATER_OFF = 0x3066;
export const READ_STATUS = 0xf32d; // §4.11, Table 17
export const CLEAR_STATUS = 0x3041; // §4.11, Table 19

/** Maximum measurement duration per repeatability, ms (Table 4, tMEAS max). */
export const MEASUREMENT_MAX_MS: Record<Repeatability, number> = { high: 15, medium: 6, low: 4 };

/** Typical measurement duration (Table 4, tMEAS typ): how long the simulator takes. */
export const MEASUREMENT_TYPICAL_MS: Record<Repeatability, number> = { high: 12.5, medium: 4.5, low: 2.5 };

/** Time from the soft-reset ACK until the chip is idle again (Table 4, tSR max). */
export const SOFT_RESET_MAX_MS = 1.5;

/** Minimal wait after a command before the next one (Table 9 note: "SCL free" block of 1 ms). */
export const COMMAND_GAP_MS = 1;

/** Status register bits (Table 18). */
export const STATUS = {
  alertPending: 0x8000,
  heaterOn: 0x2000,
  humidityAlert: 0x0800,
  temperatureAlert: 0x0400,
  resetDetected: 0x0010,
  commandFailed: 0x0002,
  writeCrcFailed: 0x0001,
  /** Bits 14, 12 and 3:2 are reserved with default '0'; bits 9:5 are 'xxxxx' and must not be judged. */
  reservedZero: 0x500c,
  /** What the clear-status command clears (§4.11, Table 19): bits 15, 11, 10, 4. */
  clearable: 0x8c10,
  /** Value after power-up or reset (Table 18 defaults). */
  afterReset: 0x8010,
} as const;

/** The two bytes of a command, most significant first (§4.2). */
export function commandBytes(command: number): Buffer {
  return Buffer.from([(command >> 8) & 0xff, command & 0xff]);
}

/** One 16-bit word as the chip sends it: MSB, LSB, CRC-8 of the two (§4.12). */
export function encodeWord(word: number): [number, number, number] {
  const msb = (word >> 8) & 0xff;
  const lsb = word & 0xff;
  return [msb, lsb, crc8Sensirion([msb, lsb])];
}

export interface CrcMismatch {
  word: string;
  value: number;
  received: number;
  computed: number;
}

/**
 * Splits a reply into words, checking the CRC of every one (§4.12): a word whose CRC
 * does not match is reported, never returned as a value.
 */
export function decodeWords(
  bytes: ArrayLike<number>,
  names: readonly string[],
): { words: number[] } | { mismatch: CrcMismatch } {
  const words: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const msb = bytes[3 * i]!;
    const lsb = bytes[3 * i + 1]!;
    const received = bytes[3 * i + 2]!;
    const computed = crc8Sensirion([msb, lsb]);
    const value = (msb << 8) | lsb;
    if (received !== computed) return { mismatch: { word: names[i]!, value, received, computed } };
    words.push(value);
  }
  return { words };
}

export function describeMismatch(m: CrcMismatch): string {
  return `${m.word} word ${hex(m.value, 4)} came with CRC ${hex(m.received)}, its CRC-8 is ${hex(m.computed)} (datasheet §4.12)`;
}

/** T = -45 + 175·S/(2^16 - 1), in °C (§4.13). */
export function temperatureFromRaw(raw: number): number {
  return -45 + (175 * raw) / 65535;
}

/** RH = 100·S/(2^16 - 1), in %RH (§4.13). */
export function humidityFromRaw(raw: number): number {
  return (100 * raw) / 65535;
}

/** Inverse of §4.13, for the simulator: the nearest raw value, clamped to 16 bits. */
export function rawFromTemperature(celsius: number): number {
  return clamp16(Math.round(((celsius + 45) * 65535) / 175));
}

export function rawFromHumidity(percent: number): number {
  return clamp16(Math.round((percent * 65535) / 100));
}

function clamp16(value: number): number {
  return Math.min(0xffff, Math.max(0, value));
}
