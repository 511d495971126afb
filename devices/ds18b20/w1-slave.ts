/**
 * The text of /sys/bus/w1/devices/28-…/w1_slave, as Linux's w1_therm driver writes it
 * (drivers/w1/slaves/w1_therm.c, w1_slave_show):
 *
 *   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *   72 01 4b 46 7f ff 0e 10 57 t=23125
 *
 * Line 1: the 9 scratchpad bytes read now, the CRC the kernel computed over bytes 0–7,
 * and YES when it equals byte 8. Line 2: the last scratchpad that passed (the same
 * bytes when YES), then t= in m°C, computed from line 1's bytes as trunc(raw·1000/16).
 * Kernels since the 2020 w1_therm rework print nothing at all when the CRC keeps
 * failing (or the chip does not answer); older ones print NO.
 */
import { hex, s16le } from '../../src/device-kit/index.js';
import { decodeScratchpad, powerOnSuspicion, scratchpadCrc } from './scratchpad.js';

export interface W1Slave {
  scratchpad: number[];
  kernelCrc: number;
  crcOk: boolean;
  lastGood: number[];
  milliCelsius: number;
}

const BYTES = '((?:[0-9a-fA-F]{2} ){9})';
const LINE_1 = new RegExp(`^${BYTES}: crc=([0-9a-fA-F]{2}) (YES|NO)$`);
const LINE_2 = new RegExp(`^${BYTES}t=(-?\\d+)$`);

function bytesOf(field: string): number[] {
  return field
    .trim()
    .split(' ')
    .map((b) => Number.parseInt(b, 16));
}

/** Parses the kernel text; null when it is not that format. */
export function parseW1Slave(text: string): W1Slave | null {
  const lines = text.replace(/\r/g, '').replace(/\n+$/, '').split('\n');
  if (lines.length !== 2) return null;
  const first = LINE_1.exec(lines[0]!);
  const second = LINE_2.exec(lines[1]!);
  if (!first || !second) return null;
  return {
    scratchpad: bytesOf(first[1]!),
    kernelCrc: Number.parseInt(first[2]!, 16),
    crcOk: first[3] === 'YES',
    lastGood: bytesOf(second[1]!),
    milliCelsius: Number(second[2]!),
  };
}

/** The kernel's conversion for DS18B20-family chips: s16 × 1000 / 16 in C integer arithmetic. */
export function kernelMilliCelsius(scratchpad: ArrayLike<number>): number {
  return Math.trunc((s16le(scratchpad, 0) * 1000) / 16);
}

/** Renders what w1_slave_show prints, for the simulator; `lastGood` is line 2's bytes. */
export function renderW1Slave(scratchpad: ArrayLike<number>, lastGood: ArrayLike<number>): string {
  const bytes = (b: ArrayLike<number>) =>
    Array.from(b, (x) => `${x.toString(16).padStart(2, '0')} `).join('');
  const computed = scratchpadCrc(scratchpad);
  const verdict = computed === scratchpad[8] ? 'YES' : 'NO';
  return `${bytes(scratchpad)}: crc=${computed.toString(16).padStart(2, '0')} ${verdict}\n${bytes(lastGood)}t=${kernelMilliCelsius(scratchpad)}\n`;
}

export type Interpretation =
  | { ok: true; celsius: number; raw: number; resolutionBits: number }
  | { ok: false; error: string };

/**
 * Everything the driver concludes from one w1_slave text. `previousGoodC` is the last
 * good reading of this sensor, for the 85 °C rule (see README).
 */
export function interpretW1Slave(text: string, previousGoodC: number | undefined): Interpretation {
  if (text.trim() === '') {
    return {
      ok: false,
      error:
        'w1_slave is empty: the kernel read failed (CRC failed on every retry, the chip did not answer, or a bulk conversion is in progress)',
    };
  }
  const parsed = parseW1Slave(text);
  if (!parsed)
    return { ok: false, error: `w1_slave text not understood: ${JSON.stringify(text.slice(0, 80))}` };
  if (!parsed.crcOk) {
    return {
      ok: false,
      error: `kernel CRC check failed (crc=${hex(parsed.kernelCrc)} NO): scratchpad corrupted on the wire`,
    };
  }
  const decoded = decodeScratchpad(parsed.scratchpad);
  if (!decoded.ok) return decoded;
  // The kernel computes t= from the unmasked register; compare like with like, to the m°C it prints.
  const fromBytes = (decoded.raw * 1000) / 16;
  if (Math.abs(fromBytes - parsed.milliCelsius) >= 1) {
    return {
      ok: false,
      error: `t=${parsed.milliCelsius} disagrees with the scratchpad's ${hex(decoded.raw & 0xffff, 4)} (${decoded.raw / 16} °C)`,
    };
  }
  const suspicion = powerOnSuspicion(decoded.raw, previousGoodC);
  if (suspicion) return { ok: false, error: suspicion };
  return { ok: true, celsius: decoded.celsius, raw: decoded.raw, resolutionBits: decoded.resolutionBits };
}
