/**
 * Trimming parameters (datasheet §4.2.2, Table 16): factory values in NVM, copied to
 * registers 0x88–0xA1 and 0xE1–0xE7 at power-up and after a soft reset.
 */
import { s16le, toSigned, toUnsigned, u16le } from '../../src/device-kit/index.js';
import { CALIB_H_LENGTH, CALIB_TP_LENGTH } from './registers.js';

export interface Bme280Calibration {
  digT1: number;
  digT2: number;
  digT3: number;
  digP1: number;
  digP2: number;
  digP3: number;
  digP4: number;
  digP5: number;
  digP6: number;
  digP7: number;
  digP8: number;
  digP9: number;
  digH1: number;
  digH2: number;
  digH3: number;
  digH4: number;
  digH5: number;
  digH6: number;
}

/**
 * `tp` is the 26 bytes from 0x88 (0xA0 is unused; dig_H1 sits at 0xA1), `h` the 7 bytes
 * from 0xE1. dig_H4 and dig_H5 are 12-bit signed values sharing register 0xE5: H4 is
 * 0xE4[7:0]·16 + 0xE5[3:0], H5 is 0xE6[7:0]·16 + 0xE5[7:4] (Table 16).
 */
export function parseCalibration(tp: ArrayLike<number>, h: ArrayLike<number>): Bme280Calibration {
  if (tp.length < CALIB_TP_LENGTH || h.length < CALIB_H_LENGTH) {
    throw new Error(`bme280 calibration: need ${CALIB_TP_LENGTH} + ${CALIB_H_LENGTH} bytes`);
  }
  return {
    digT1: u16le(tp, 0),
    digT2: s16le(tp, 2),
    digT3: s16le(tp, 4),
    digP1: u16le(tp, 6),
    digP2: s16le(tp, 8),
    digP3: s16le(tp, 10),
    digP4: s16le(tp, 12),
    digP5: s16le(tp, 14),
    digP6: s16le(tp, 16),
    digP7: s16le(tp, 18),
    digP8: s16le(tp, 20),
    digP9: s16le(tp, 22),
    digH1: tp[25]!,
    digH2: s16le(h, 0),
    digH3: h[2]!,
    digH4: toSigned((h[3]! << 4) | (h[4]! & 0x0f), 12),
    digH5: toSigned((h[5]! << 4) | (h[4]! >> 4), 12),
    digH6: toSigned(h[6]!, 8),
  };
}

/** The register bytes a chip with these trims holds, for the simulator. */
export function encodeCalibration(c: Bme280Calibration): { tp: Uint8Array; h: Uint8Array } {
  const tp = new Uint8Array(CALIB_TP_LENGTH);
  const words = [c.digT1, c.digT2, c.digT3, c.digP1, c.digP2, c.digP3];
  [...words, c.digP4, c.digP5, c.digP6, c.digP7, c.digP8, c.digP9].forEach((value, i) => {
    const u = toUnsigned(value, 16);
    tp[2 * i] = u & 0xff;
    tp[2 * i + 1] = u >> 8;
  });
  tp[25] = c.digH1;
  const h2 = toUnsigned(c.digH2, 16);
  const h4 = toUnsigned(c.digH4, 12);
  const h5 = toUnsigned(c.digH5, 12);
  const h = Uint8Array.of(
    h2 & 0xff,
    h2 >> 8,
    c.digH3,
    h4 >> 4,
    ((h5 & 0x0f) << 4) | (h4 & 0x0f),
    h5 >> 4,
    toUnsigned(c.digH6, 8),
  );
  return { tp, h };
}
