/**
 * BME280 register map and field encodings (datasheet BST-BME280-DS002 §5.3, Table 18),
 * shared by the driver and the simulator so both read the same datasheet.
 */

export const CHIP_ID = 0x60;
export const SOFT_RESET_COMMAND = 0xb6;

export const Reg = {
  calibTp: 0x88,
  chipId: 0xd0,
  reset: 0xe0,
  calibH: 0xe1,
  ctrlHum: 0xf2,
  status: 0xf3,
  ctrlMeas: 0xf4,
  /** §5.4.6. (0xFA is temp_msb, a data register.) */
  config: 0xf5,
  data: 0xf7,
} as const;

/** calib00..calib25 (0x88–0xA1) and calib26..calib32 (0xE1–0xE7), §4.2.2 Table 16. */
export const CALIB_TP_LENGTH = 26;
export const CALIB_H_LENGTH = 7;
/** press_msb 0xF7 .. hum_lsb 0xFE, read in one burst so all three come from one measurement (§4). */
export const DATA_LENGTH = 8;

/** status (0xF3) bits, §5.4.4. */
export const STATUS_MEASURING = 0x08;
export const STATUS_IM_UPDATE = 0x01;

/** ctrl_meas mode[1:0], §5.4.5 Table 25: 01 and 10 are both forced mode. */
export const MODE_SLEEP = 0b00;
export const MODE_FORCED = 0b01;
export const MODE_NORMAL = 0b11;

/** What the data registers hold after reset or for a skipped measurement (§5.4.7–5.4.9). */
export const SKIPPED_20BIT = 0x80000;
export const SKIPPED_16BIT = 0x8000;

export type Oversampling = 0 | 1 | 2 | 4 | 8 | 16;
export type FilterCoefficient = 'off' | 2 | 4 | 8 | 16;
export type StandbyMs = 0.5 | 10 | 20 | 62.5 | 125 | 250 | 500 | 1000;

/** osrs_x field codes, §5.4.3 Table 20 / §5.4.5 Tables 23–24 (0 = skipped). */
const OSRS_CODE: Record<Oversampling, number> = { 0: 0, 1: 1, 2: 2, 4: 3, 8: 4, 16: 5 };
/** filter[2:0], §5.4.6 Table 28. */
const FILTER_CODE: Record<string, number> = { off: 0, 2: 1, 4: 2, 8: 3, 16: 4 };
/** t_sb[2:0], §5.4.6 Table 27 (codes 110 and 111 are 10 and 20 ms, not longer periods). */
const STANDBY_CODE: Record<string, number> = {
  0.5: 0,
  62.5: 1,
  125: 2,
  250: 3,
  500: 4,
  1000: 5,
  10: 6,
  20: 7,
};

export const osrsCode = (osr: Oversampling): number => OSRS_CODE[osr];
export const filterCode = (filter: FilterCoefficient): number => FILTER_CODE[String(filter)]!;
export const standbyCode = (ms: StandbyMs): number => STANDBY_CODE[String(ms)]!;

/** Codes 101, 110 and 111 all mean x16 (§5.4.5 Table 23). */
export function oversamplingFromCode(code: number): Oversampling {
  return ([0, 1, 2, 4, 8, 16, 16, 16] as const)[code & 0x07]!;
}

export function filterFromCode(code: number): number {
  return ([1, 2, 4, 8, 16, 16, 16, 16] as const)[code & 0x07]!;
}

export function standbyFromCode(code: number): StandbyMs {
  return ([0.5, 62.5, 125, 250, 500, 1000, 10, 20] as const)[code & 0x07]!;
}

export interface MeasurementSettings {
  temperature: Oversampling;
  pressure: Oversampling;
  humidity: Oversampling;
}

/**
 * Measurement time in ms, Appendix B §9.1: a term is left out when its measurement is
 * skipped. `max` is the worst case a driver waits; `typ` is what a chip usually takes.
 */
export function measurementTimeMs(s: MeasurementSettings, kind: 'max' | 'typ'): number {
  const [base, perSample, extra] = kind === 'max' ? [1.25, 2.3, 0.575] : [1, 2, 0.5];
  let t = base;
  if (s.temperature) t += perSample * s.temperature;
  if (s.pressure) t += perSample * s.pressure + extra;
  if (s.humidity) t += perSample * s.humidity + extra;
  return t;
}

export interface RawSample {
  adcT: number;
  adcP: number;
  adcH: number;
}

/** §5.4.7–5.4.9: 20-bit pressure and temperature (xlsb in bits 7:4), 16-bit humidity. */
export function parseRawData(bytes: ArrayLike<number>): RawSample {
  const u20 = (i: number) => (bytes[i]! << 12) | (bytes[i + 1]! << 4) | (bytes[i + 2]! >> 4);
  return { adcP: u20(0), adcT: u20(3), adcH: (bytes[6]! << 8) | bytes[7]! };
}

export function encodeRawData(raw: RawSample): Uint8Array {
  const { adcP: p, adcT: t, adcH: h } = raw;
  return Uint8Array.of(
    (p >> 12) & 0xff,
    (p >> 4) & 0xff,
    (p & 0x0f) << 4,
    (t >> 12) & 0xff,
    (t >> 4) & 0xff,
    (t & 0x0f) << 4,
    (h >> 8) & 0xff,
    h & 0xff,
  );
}
