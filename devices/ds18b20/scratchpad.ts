/**
 * The DS18B20 scratchpad (Maxim DS18B20 datasheet, "Memory" and "Configuration
 * Register"): pure decoding for the driver, pure encoding for the simulator.
 *
 *   byte 0–1  temperature, LSB first, two's complement in 1/16 °C
 *   byte 2–3  TH, TL alarm registers (EEPROM copies)
 *   byte 4    configuration: 0 R1 R0 1 1 1 1 1
 *   byte 5    reserved, 0xFF
 *   byte 6    reserved (genuine chips: 0x0C at power-up)
 *   byte 7    reserved, 0x10
 *   byte 8    CRC-8/Maxim of bytes 0–7
 */
import { crc8Maxim, hex, s16le } from '../../src/device-kit/index.js';

export const SCRATCHPAD_LENGTH = 9;

/** The temperature register's power-on value, +85 °C (datasheet Table 1 note). */
export const POWER_ON_RAW = 0x0550;

/** The DS18B20's measurement range (datasheet "Features"): −55…+125 °C. */
export const MIN_C = -55;
export const MAX_C = 125;

/** Configuration byte bits that are fixed: bit 7 reads 0 and bits 4–0 read 1 ("Configuration Register"). */
const CONFIG_FIXED_MASK = 0x9f;
const CONFIG_FIXED_VALUE = 0x1f;

export type ResolutionBits = 9 | 10 | 11 | 12;

/** Resolution from R1:R0 (bits 6:5 of the configuration byte, datasheet Table 2): 00 → 9 bit … 11 → 12 bit. */
export function resolutionOf(config: number): ResolutionBits {
  return (9 + ((config >> 5) & 0x03)) as ResolutionBits;
}

export function configFor(bits: ResolutionBits): number {
  return CONFIG_FIXED_VALUE | ((bits - 9) << 5);
}

/** CRC-8/Maxim over bytes 0–7, which byte 8 must equal (datasheet "CRC Generation"). */
export function scratchpadCrc(bytes: ArrayLike<number>): number {
  return crc8Maxim(Array.from({ length: 8 }, (_, i) => bytes[i]!));
}

/**
 * Temperature in °C from the two register bytes. At 9, 10 and 11 bits the lowest 3, 2
 * or 1 bits are undefined (datasheet "Operation — Measuring Temperature"), so they are
 * cleared rather than trusted; clearing them in two's complement rounds toward −∞.
 */
export function temperatureOf(raw: number, bits: ResolutionBits): number {
  const undefinedBits = 12 - bits;
  const defined = Math.floor(raw / 2 ** undefinedBits) * 2 ** undefinedBits;
  return defined / 16;
}

export type Decoded =
  | { ok: true; celsius: number; raw: number; resolutionBits: ResolutionBits }
  | { ok: false; error: string };

/** Checks and decodes 9 scratchpad bytes; every way the bytes can be wrong gets its own message. */
export function decodeScratchpad(bytes: ArrayLike<number>): Decoded {
  if (bytes.length !== SCRATCHPAD_LENGTH) {
    return { ok: false, error: `scratchpad has ${bytes.length} bytes, expected ${SCRATCHPAD_LENGTH}` };
  }
  const computed = scratchpadCrc(bytes);
  if (computed !== bytes[8]) {
    return {
      ok: false,
      error: `scratchpad CRC byte ${hex(bytes[8]!)} does not match its CRC-8/Maxim ${hex(computed)}`,
    };
  }
  const config = bytes[4]!;
  // An all-zero scratchpad (data line held low) passes the CRC, since CRC-8 of zeros is 0:
  // the fixed configuration bits are what exposes it.
  if ((config & CONFIG_FIXED_MASK) !== CONFIG_FIXED_VALUE) {
    return {
      ok: false,
      error: `configuration byte ${hex(config)} is not a DS18B20's (bit 7 reads 0, bits 4–0 read 1)${
        Array.from(bytes).every((b) => b === 0) ? ': all-zero scratchpad, data line held low?' : ''
      }`,
    };
  }
  const raw = s16le(bytes, 0);
  const resolutionBits = resolutionOf(config);
  const celsius = temperatureOf(raw, resolutionBits);
  if (celsius < MIN_C || celsius > MAX_C) {
    return { ok: false, error: `${celsius} °C is outside the DS18B20's range ${MIN_C}…${MAX_C} °C` };
  }
  return { ok: true, celsius, raw, resolutionBits };
}

/**
 * How far from 85 °C the previous good reading may be for a reading of exactly the
 * power-on value to be believed; see README "The 85 °C rule".
 */
export const POWER_ON_NEIGHBOUR_C = 2;

/** null when the reading stands; otherwise why it is rejected. */
export function powerOnSuspicion(raw: number, previousGoodC: number | undefined): string | null {
  if (raw !== POWER_ON_RAW) return null;
  if (previousGoodC !== undefined && Math.abs(previousGoodC - 85) <= POWER_ON_NEIGHBOUR_C) return null;
  return '85 °C power-on value: conversion did not run';
}

/** Encodes a temperature for the simulator: nearest 1/16 °C, clamped to the chip's range. */
export function rawFromCelsius(celsius: number): number {
  const clamped = Math.min(MAX_C, Math.max(MIN_C, celsius));
  return Math.round(clamped * 16) & 0xffff;
}

/** Builds a scratchpad with a correct CRC. */
export function buildScratchpad(fields: {
  raw: number;
  th: number;
  tl: number;
  config: number;
  reserved6: number;
}): Uint8Array {
  const bytes = [
    fields.raw & 0xff,
    (fields.raw >> 8) & 0xff,
    fields.th & 0xff,
    fields.tl & 0xff,
    fields.config & 0xff,
    0xff,
    fields.reserved6 & 0xff,
    0x10,
  ];
  return Uint8Array.from([...bytes, crc8Maxim(bytes)]);
}
