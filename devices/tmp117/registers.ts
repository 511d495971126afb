/**
 * TMP117 register map and pure codecs (TI SNOSD82D §7.6). Every register is 16 bits,
 * most significant byte first on the wire; the driver swaps SMBus words into that order.
 */
import { getBits, setBits, toSigned, toUnsigned } from '../../src/device-kit/index.js';

export const Register = {
  temperature: 0x00,
  configuration: 0x01,
  highLimit: 0x02,
  lowLimit: 0x03,
  eepromUnlock: 0x04,
  eeprom1: 0x05,
  eeprom2: 0x06,
  temperatureOffset: 0x07,
  eeprom3: 0x08,
  deviceId: 0x0f,
} as const;

/** Result, limit and offset registers share one format: signed, 7.8125 m°C per LSB (§7.3.3, Table 7-1). */
export const LSB_C = 0.0078125;

/** §7.3.1: the result register reads -256 °C from reset until the first (averaged) conversion completes. */
export const POWER_ON_RESULT = 0x8000;

/** DID[11:0] of the Device_ID register; bits 15:12 are the revision, which the check ignores. */
export const DEVICE_ID = 0x117;

export function deviceIdOf(word: number): number {
  return getBits(word, 0, 12);
}

export function decodeTemperature(word: number): number {
  return toSigned(word, 16) * LSB_C;
}

/** Nearest register code for `celsius`, saturated to what 16 bits hold (-256 … +255.992 °C). */
export function encodeTemperature(celsius: number): number {
  const code = Math.min(0x7fff, Math.max(-0x8000, Math.round(celsius / LSB_C)));
  return toUnsigned(code, 16);
}

/** Configuration register bits (§7.6.1.2). */
export const Config = {
  highAlert: 1 << 15,
  lowAlert: 1 << 14,
  dataReady: 1 << 13,
  eepromBusy: 1 << 12,
  therm: 1 << 4,
  polarity: 1 << 3,
  dataReadyOnPin: 1 << 2,
  softReset: 1 << 1,
  /** Bits 11:2: the ones a write changes; 15:12 are status, bit 1 self-clears, bit 0 is reserved. */
  writable: 0x0ffc,
  /** Factory EEPROM value loaded at reset: continuous, CONV = 100 (1 s), AVG = 01 (8). */
  reset: 0x0220,
} as const;

/** MOD[1:0]: 00 and 10 both mean continuous conversion. */
export type ConversionMode = 'continuous' | 'shutdown' | 'one-shot';
const MOD_CODES: Record<ConversionMode, number> = { continuous: 0b00, shutdown: 0b01, 'one-shot': 0b11 };

export interface ConfigFields {
  mode: ConversionMode;
  /** CONV[2:0] */
  cycleCode: number;
  /** AVG[1:0] */
  averagingCode: number;
  /** T/nA: therm mode instead of alert mode (§7.4.4). */
  therm: boolean;
}

export interface ConfigStatus extends ConfigFields {
  highAlert: boolean;
  lowAlert: boolean;
  dataReady: boolean;
}

export function modeOf(word: number): ConversionMode {
  const mod = getBits(word, 10, 2);
  if (mod === 0b01) return 'shutdown';
  return mod === 0b11 ? 'one-shot' : 'continuous';
}

export function setMod(word: number, mode: ConversionMode): number {
  return setBits(word, 10, 2, MOD_CODES[mode]);
}

/** Leaves POL and DR/nAlert_EN at 0: the ALERT pin, when wired, is active low and reports the alert flags. */
export function encodeConfiguration(fields: ConfigFields): number {
  let word = setMod(0, fields.mode);
  word = setBits(word, 7, 3, fields.cycleCode);
  word = setBits(word, 5, 2, fields.averagingCode);
  return fields.therm ? word | Config.therm : word;
}

export function decodeConfiguration(word: number): ConfigStatus {
  return {
    highAlert: (word & Config.highAlert) !== 0,
    lowAlert: (word & Config.lowAlert) !== 0,
    dataReady: (word & Config.dataReady) !== 0,
    mode: modeOf(word),
    cycleCode: getBits(word, 7, 3),
    averagingCode: getBits(word, 5, 2),
    therm: (word & Config.therm) !== 0,
  };
}

/**
 * The alert channel from one configuration read. Therm mode (§7.4.4.2): HIGH_Alert is a
 * state with hysteresis, set above THigh and cleared below TLow. Alert mode (§7.4.4.1): the
 * flags latch at the end of a conversion and clear when the register is read, so a read
 * with neither a flag nor Data_Ready says nothing new: the previous value still holds.
 */
export function alertFromStatus(status: ConfigStatus, previous: 0 | 1): 0 | 1 {
  if (status.therm) return status.highAlert ? 1 : 0;
  const flagged = status.highAlert || status.lowAlert;
  if (flagged || status.dataReady) return flagged ? 1 : 0;
  return previous;
}
