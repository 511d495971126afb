/**
 * MCP9808 register map and pure codecs (Microchip DS25095 §5.1). Registers 01h–07h are
 * 16 bits, most significant byte first; the resolution register 08h is a single byte.
 */
import { getBits, toSigned, toUnsigned } from '../../src/device-kit/index.js';

export const Register = {
  config: 0x01,
  upperLimit: 0x02,
  lowerLimit: 0x03,
  criticalLimit: 0x04,
  ambient: 0x05,
  manufacturerId: 0x06,
  deviceId: 0x07,
  resolution: 0x08,
} as const;

/** §5.1.4 */
export const MANUFACTURER_ID = 0x0054;
/** §5.1.5: upper byte of register 07h; the lower byte is the revision. */
export const DEVICE_ID = 0x04;

export function deviceIdOf(word: number): number {
  return getBits(word, 8, 8);
}

/** CONFIG bits (§5.1.1). THYST (10:9), alert output control (3:0) and Alert Stat stay 0 here. */
export const Config = {
  shutdown: 1 << 8,
  criticalLock: 1 << 7,
  windowLock: 1 << 6,
  interruptClear: 1 << 5,
  writable: 0x07ff,
} as const;

/** TA: 13-bit two's complement in bits 12:0, 0.0625 °C per LSB (§5.1.3). */
export const AMBIENT_LSB_C = 0.0625;

/** TA<15:13> (§5.1.3): bit 15 TA ≥ TCRIT, bit 14 TA > TUPPER, bit 13 TA < TLOWER. */
export const AmbientFlag = {
  critical: 1 << 15,
  upper: 1 << 14,
  lower: 1 << 13,
} as const;

export interface Ambient {
  temperatureC: number;
  atOrAboveCritical: boolean;
  aboveUpper: boolean;
  belowLower: boolean;
}

/**
 * §5.1.3.1 masks the flags, then for a negative value (SIGN, bit 12) prints
 * `256 - (UpperByte × 16 + LowerByte / 16)`, which drops the sign: the bits are two's
 * complement (as the same section says), so the value is that sum minus 256.
 */
export function decodeAmbient(word: number): Ambient {
  return {
    temperatureC: toSigned(word & 0x1fff, 13) * AMBIENT_LSB_C,
    atOrAboveCritical: (word & AmbientFlag.critical) !== 0,
    aboveUpper: (word & AmbientFlag.upper) !== 0,
    belowLower: (word & AmbientFlag.lower) !== 0,
  };
}

export function isAlert(ambient: Ambient): boolean {
  return ambient.atOrAboveCritical || ambient.aboveUpper || ambient.belowLower;
}

/** TUPPER/TLOWER/TCRIT: 11-bit two's complement in bits 12:2, 0.25 °C per LSB (§5.1.2). */
export const LIMIT_LSB_C = 0.25;
export const LIMIT_RANGE_C = { min: -256, max: 255.75 } as const;

export function encodeLimit(celsius: number): number {
  const code = celsius / LIMIT_LSB_C;
  if (!Number.isInteger(code) || celsius < LIMIT_RANGE_C.min || celsius > LIMIT_RANGE_C.max) {
    throw new RangeError(`MCP9808 limit ${celsius} °C: not a multiple of 0.25 in -256…255.75`);
  }
  return toUnsigned(code, 11) << 2;
}

export function decodeLimit(word: number): number {
  return toSigned(getBits(word, 2, 11), 11) * LIMIT_LSB_C;
}

/** Resolution register bits 1:0 (§5.1.6), each with the datasheet's typical tCONV (0.0625 °C is the power-up default). */
export const RESOLUTIONS_C = [0.5, 0.25, 0.125, 0.0625] as const;
export type ResolutionC = (typeof RESOLUTIONS_C)[number];
export const CONVERSION_MS = [30, 65, 130, 250] as const;

export function resolutionCode(resolutionC: ResolutionC): number {
  return RESOLUTIONS_C.indexOf(resolutionC);
}
