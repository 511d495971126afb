/**
 * A register-level BME280: the chip as the bus sees it, with forced and normal mode timed
 * on the injected clock, ctrl_hum latching, soft reset, the IIR filter and oversampling
 * resolution, and raw ADC values found by inverting the reference compensation.
 */
import {
  parseDump,
  type RegisterDump,
  RegisterFile8,
  type SimClock,
  type SimI2cDevice,
  type SimInputs,
} from '../../src/device-kit/index.js';
import { type Bme280Calibration, encodeCalibration, parseCalibration } from './calibration.js';
import {
  humidityDoubleUnclamped,
  pressureDoubleUnclamped,
  temperatureDoubleUnclamped,
} from './compensation.js';
import {
  CALIB_H_LENGTH,
  CALIB_TP_LENGTH,
  CHIP_ID,
  DATA_LENGTH,
  encodeRawData,
  filterFromCode,
  type MeasurementSettings,
  MODE_NORMAL,
  MODE_SLEEP,
  measurementTimeMs,
  oversamplingFromCode,
  type RawSample,
  Reg,
  SKIPPED_16BIT,
  SKIPPED_20BIT,
  SOFT_RESET_COMMAND,
  STATUS_IM_UPDATE,
  STATUS_MEASURING,
  standbyFromCode,
} from './registers.js';

/**
 * Trims of a BME280 breakout as published in pimoroni/bme280-python
 * (tests/calibration.py). P7–P9 equal the BMP280 datasheet example, as on many chips.
 */
export const REFERENCE_CALIBRATION: Bme280Calibration = {
  digT1: 28009,
  digT2: 25654,
  digT3: 50,
  digP1: 39145,
  digP2: -10750,
  digP3: 3024,
  digP4: 5667,
  digP5: -120,
  digP6: -7,
  digP7: 15500,
  digP8: -14600,
  digP9: 6000,
  digH1: 75,
  digH2: 376,
  digH3: 0,
  digH4: 286,
  digH5: 50,
  digH6: 30,
};

/** How long im_update stays set after a soft reset: within the 2 ms start-up time (Table 1). */
const NVM_COPY_MS = 1;

const RESET_DATA = encodeRawData({ adcP: SKIPPED_20BIT, adcT: SKIPPED_20BIT, adcH: SKIPPED_16BIT });

interface Conversion {
  settings: MeasurementSettings;
  endsAtMs: number;
}

export class Bme280Sim implements SimI2cDevice {
  private readonly registers: RegisterFile8;
  /** Calibration area as the NVM copy leaves it: 0x88–0xA1 and 0xE1–0xF0. */
  private readonly nvm = new Uint8Array(256);
  private data: Uint8Array = Uint8Array.from(RESET_DATA);
  private chipId = CHIP_ID;
  private ctrlHum = 0;
  private ctrlMeas = 0;
  private config = 0;
  /** osrs_h in effect: ctrl_hum is copied here only when ctrl_meas is written (§5.4.3). */
  private latchedOsrsH = 0;
  private imUpdateUntilMs = -1;
  private conversion: Conversion | null = null;
  private normalStartMs = 0;
  private normalCyclesDone = 0;
  private filterState: { t: number; p: number } | null = null;
  private frozen = false;
  private stuck = false;
  private inputs = { temperatureC: 22, pressurePa: 101325, humidityPct: 45 };

  constructor(
    private readonly clock: SimClock,
    calibration: Bme280Calibration = REFERENCE_CALIBRATION,
  ) {
    this.registers = new RegisterFile8('pairs', {
      onRead: (register) => this.readRegister(register),
      onWrite: (register, value) => this.writeRegister(register, value),
    });
    const { tp, h } = encodeCalibration(calibration);
    this.nvm.set(tp, Reg.calibTp);
    this.nvm.set(h, Reg.calibH);
  }

  write(data: Uint8Array): void {
    this.advance();
    this.registers.write(data);
  }

  read(length: number): Uint8Array {
    // Advancing once per transfer keeps a burst read from one measurement (data shadowing, §4).
    this.advance();
    return this.registers.read(length);
  }

  setInputs(inputs: SimInputs): void {
    for (const key of ['temperatureC', 'pressurePa', 'humidityPct'] as const) {
      if (inputs[key] !== undefined) this.inputs[key] = inputs[key];
    }
  }

  /** Registers from a dump; the data registers then keep the dumped bytes whatever is measured. */
  loadDump(dump: RegisterDump): void {
    for (const { start, bytes } of parseDump(dump)) {
      for (let i = 0; i < bytes.length; i++) this.loadRegister(start + i, bytes[i]!);
    }
    this.frozen = true;
  }

  registerImage(): { bytes: Map<number, number> } {
    this.advance();
    const bytes = new Map<number, number>();
    const defined = (r: number) =>
      (r >= Reg.calibTp && r < Reg.calibTp + CALIB_TP_LENGTH) ||
      r === Reg.chipId ||
      (r >= Reg.reset && r <= 0xf0) ||
      (r >= Reg.ctrlHum && r < Reg.data + DATA_LENGTH);
    for (let r = 0; r < 256; r++) if (defined(r)) bytes.set(r, this.readRegister(r));
    return { bytes };
  }

  /** Fault injection: another chip answers (0x58 is a BMP280). */
  setChipId(id: number): void {
    this.chipId = id & 0xff;
  }

  /** Fault injection: the measuring bit stays set and no conversion ever completes. */
  stickMeasuring(on: boolean): void {
    this.stuck = on;
  }

  private readRegister(register: number): number {
    if (register === Reg.chipId) return this.chipId;
    if (register === Reg.ctrlHum) return this.ctrlHum;
    if (register === Reg.status) return this.status();
    if (register === Reg.ctrlMeas) return this.ctrlMeas;
    if (register === Reg.config) return this.config;
    if (register >= Reg.data && register < Reg.data + DATA_LENGTH) return this.data[register - Reg.data]!;
    // 0xE0 (reset) reads 0x00 (§5.4.2); the calibration areas read their NVM copy.
    return this.nvm[register]!;
  }

  private writeRegister(register: number, value: number): void {
    const now = this.clock.nowMs();
    if (register === Reg.reset) {
      if (value === SOFT_RESET_COMMAND) this.softReset(now);
    } else if (register === Reg.ctrlHum) {
      this.ctrlHum = value & 0x07;
    } else if (register === Reg.config) {
      // §5.4.6: writes to config in normal mode may be ignored; this chip ignores them.
      if ((this.ctrlMeas & 0x03) !== MODE_NORMAL) this.config = value & 0xfd;
    } else if (register === Reg.ctrlMeas) {
      this.ctrlMeas = value;
      this.latchedOsrsH = this.ctrlHum;
      this.startMode(now);
    }
    // Everything else (id, calibration, status, data) is read-only: the write has no effect.
  }

  private loadRegister(register: number, value: number): void {
    if (register === Reg.chipId) this.chipId = value;
    else if (register === Reg.ctrlHum) this.ctrlHum = this.latchedOsrsH = value & 0x07;
    else if (register === Reg.ctrlMeas) this.ctrlMeas = value & 0xfc;
    else if (register === Reg.config) this.config = value;
    else if (register >= Reg.data && register < Reg.data + DATA_LENGTH)
      this.data[register - Reg.data] = value;
    else if (register !== Reg.reset && register !== Reg.status) this.nvm[register] = value;
  }

  private softReset(now: number): void {
    this.ctrlHum = this.ctrlMeas = this.config = this.latchedOsrsH = 0;
    this.conversion = null;
    this.filterState = null;
    if (!this.frozen) this.data = Uint8Array.from(RESET_DATA);
    this.imUpdateUntilMs = now + NVM_COPY_MS;
  }

  private settings(): MeasurementSettings {
    return {
      temperature: oversamplingFromCode(this.ctrlMeas >> 5),
      pressure: oversamplingFromCode(this.ctrlMeas >> 2),
      humidity: oversamplingFromCode(this.latchedOsrsH),
    };
  }

  private startMode(now: number): void {
    const mode = this.ctrlMeas & 0x03;
    if (mode === MODE_SLEEP) {
      this.conversion = null;
    } else if (mode === MODE_NORMAL) {
      this.conversion = null;
      this.normalStartMs = now;
      this.normalCyclesDone = 0;
    } else if (!this.conversion) {
      const settings = this.settings();
      this.conversion = { settings, endsAtMs: now + measurementTimeMs(settings, 'typ') };
    }
  }

  /** Completes whatever conversions the clock has moved past. */
  private advance(): void {
    if (this.stuck) return;
    const now = this.clock.nowMs();
    if (this.conversion && now >= this.conversion.endsAtMs) {
      this.measure(this.conversion.settings, 1);
      this.conversion = null;
      this.ctrlMeas &= ~0x03;
    }
    if ((this.ctrlMeas & 0x03) === MODE_NORMAL) {
      const done = this.normalCycles(now);
      if (done > this.normalCyclesDone) {
        this.measure(this.settings(), done - this.normalCyclesDone);
        this.normalCyclesDone = done;
      }
    }
  }

  /** Normal mode (§3.3.4): measure, stand by t_sb, repeat; counts measurements finished by `now`. */
  private normalCycles(now: number): number {
    const tMeasure = measurementTimeMs(this.settings(), 'typ');
    const elapsed = now - this.normalStartMs;
    if (elapsed < tMeasure) return 0;
    return Math.floor((elapsed - tMeasure) / (tMeasure + standbyFromCode(this.config >> 5))) + 1;
  }

  private status(): number {
    const now = this.clock.nowMs();
    let measuring = this.stuck || this.conversion !== null;
    if (!this.stuck && (this.ctrlMeas & 0x03) === MODE_NORMAL) {
      const tMeasure = measurementTimeMs(this.settings(), 'typ');
      const period = tMeasure + standbyFromCode(this.config >> 5);
      measuring = (now - this.normalStartMs) % period < tMeasure;
    }
    return (measuring ? STATUS_MEASURING : 0) | (now < this.imUpdateUntilMs ? STATUS_IM_UPDATE : 0);
  }

  /** Writes `count` measurements' results (the filter sees each one) to the data registers. */
  private measure(settings: MeasurementSettings, count: number): void {
    if (this.frozen) return;
    const calibration = parseCalibration(
      this.nvm.subarray(Reg.calibTp, Reg.calibTp + CALIB_TP_LENGTH),
      this.nvm.subarray(Reg.calibH, Reg.calibH + CALIB_H_LENGTH),
    );
    const raw = idealRaw(this.inputs, calibration);
    const coefficient = filterFromCode(this.config >> 2);
    // The filter state converges geometrically; a few dozen steps stand for any longer run.
    for (let i = 0; i < Math.min(count, 64); i++) {
      const previous = this.filterState ?? { t: raw.adcT, p: raw.adcP };
      // §3.4.4: filtered = (previous · (c − 1) + new) / c, on temperature and pressure only.
      this.filterState = {
        t: (previous.t * (coefficient - 1) + raw.adcT) / coefficient,
        p: (previous.p * (coefficient - 1) + raw.adcP) / coefficient,
      };
    }
    const filtered = this.filterState ?? { t: raw.adcT, p: raw.adcP };
    // §3.4.2/§3.4.3: 16 + log2(osr) significant bits of 20 without the filter, all 20 with it.
    const quantize = (value: number, osr: number) => {
      const step = coefficient > 1 ? 1 : 2 ** (4 - Math.log2(osr));
      return Math.max(0, Math.min(Math.round(value / step) * step, 2 ** 20 - step));
    };
    const out: RawSample = {
      adcT: settings.temperature ? quantize(filtered.t, settings.temperature) : SKIPPED_20BIT,
      adcP: settings.pressure ? quantize(filtered.p, settings.pressure) : SKIPPED_20BIT,
      adcH: settings.humidity ? Math.min(Math.round(raw.adcH), 2 ** 16 - 1) : SKIPPED_16BIT,
    };
    this.data = encodeRawData(out);
  }
}

/**
 * The raw values a chip with these trims reports for the inputs: the compensation
 * (before its clamps, as the ADC has none) inverted by bisection, which works because
 * each formula is monotonic over the ADC range. Fractional, for the filter and rounding.
 */
export function idealRaw(
  inputs: { temperatureC: number; pressurePa: number; humidityPct: number },
  cal: Bme280Calibration,
): RawSample {
  const adcT = invert((x) => temperatureDoubleUnclamped(x, cal).celsius, inputs.temperatureC, 2 ** 20 - 1);
  const { tFine } = temperatureDoubleUnclamped(adcT, cal);
  const pressure = (x: number) => pressureDoubleUnclamped(x, cal, tFine) ?? Number.NaN;
  const adcP = invert(pressure, inputs.pressurePa, 2 ** 20 - 1);
  const adcH = invert((x) => humidityDoubleUnclamped(x, cal, tFine), inputs.humidityPct, 2 ** 16 - 1);
  return { adcT, adcP, adcH };
}

function invert(f: (x: number) => number, target: number, max: number): number {
  let lo = 0;
  let hi = max;
  const rising = f(hi) > f(lo);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < target === rising) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
