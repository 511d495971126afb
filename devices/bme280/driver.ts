/**
 * BME280 driver over byte reads/writes and I2C block reads only, so it runs unchanged
 * on a Pi's bus, on Linux's i2c-stub and on the simulator.
 */
import {
  type ChannelReading,
  DeviceFault,
  type I2cBus,
  i2cLocation,
  type PollSchedule,
  pollUntil,
  type RegisterExpectation,
  requireIdentity,
  type SensorDriver,
  type Timing,
} from '../../src/device-kit/index.js';
import { type Bme280Calibration, parseCalibration } from './calibration.js';
import {
  type CompensationMode,
  compensate,
  HUMIDITY_RANGE_PCT,
  PRESSURE_RANGE_PA,
  TEMPERATURE_RANGE_C,
} from './compensation.js';
import {
  CALIB_H_LENGTH,
  CALIB_TP_LENGTH,
  CHIP_ID,
  DATA_LENGTH,
  type FilterCoefficient,
  filterCode,
  type MeasurementSettings,
  MODE_FORCED,
  MODE_NORMAL,
  MODE_SLEEP,
  measurementTimeMs,
  osrsCode,
  parseRawData,
  Reg,
  SOFT_RESET_COMMAND,
  STATUS_IM_UPDATE,
  STATUS_MEASURING,
  type StandbyMs,
  standbyCode,
} from './registers.js';

export interface Bme280Options {
  mode: 'forced' | 'normal';
  oversampling: MeasurementSettings;
  filter: FilterCoefficient;
  standbyMs: StandbyMs;
  compensation: CompensationMode;
}

/** Datasheet Table 1: start-up time (which includes the NVM copy after a reset) is at most 2 ms. */
const STARTUP_MS = 2;
/** Status reads in all while the NVM copy runs, a start-up time apart. */
const IM_UPDATE_POLLS = 5;
/** Status polls after the datasheet's maximum measurement time has passed, 1 ms apart. */
const MEASURING_POLLS = 10;

export const IDENTITY: RegisterExpectation[] = [
  {
    name: 'chip_id',
    register: Reg.chipId,
    width: 8,
    expected: CHIP_ID,
    // Bosch relatives that answer at the same addresses.
    knownOthers: {
      85: 'a BMP180',
      86: 'a BMP280 (sample)',
      87: 'a BMP280 (sample)',
      88: 'a BMP280, which has no humidity sensor',
      97: 'a BME680/BME688',
    },
  },
];

export class Bme280Driver implements SensorDriver {
  private calibration: Bme280Calibration | null = null;
  private readonly ctrlMeasBase: number;

  constructor(
    private readonly io: { bus: I2cBus; address: number; timing: Timing },
    private readonly options: Bme280Options,
  ) {
    const { temperature, pressure } = options.oversampling;
    this.ctrlMeasBase = (osrsCode(temperature) << 5) | (osrsCode(pressure) << 2);
  }

  private get where(): string {
    return i2cLocation(this.io.bus, this.io.address);
  }

  async init(): Promise<void> {
    const { bus, address, timing } = this.io;
    const { oversampling: osr, mode } = this.options;
    if (osr.temperature === 0 && (osr.pressure !== 0 || osr.humidity !== 0)) {
      // Pressure and humidity compensation both need t_fine from a temperature measurement (§4.2.3).
      throw new DeviceFault(
        'config',
        `${this.where}: BME280 pressure and humidity need oversampling.temperature > 0`,
      );
    }
    await requireIdentity(bus, address, 'a BME280', IDENTITY);
    // A soft reset puts the chip in sleep mode with known registers whatever a previous run left (§5.4.2).
    await bus.writeByte(address, Reg.reset, SOFT_RESET_COMMAND);
    await this.waitForStatus(STATUS_IM_UPDATE, {
      firstWaitMs: STARTUP_MS,
      intervalMs: STARTUP_MS,
      attempts: IM_UPDATE_POLLS,
      what: `${this.where}: BME280 NVM copy after soft reset`,
      symptom: 'status im_update set',
    });
    this.calibration = await this.readCalibration();
    // ctrl_hum takes effect only after a write to ctrl_meas (§5.4.3), and config writes
    // may be ignored in normal mode (§5.4.6): so ctrl_hum, then config, then ctrl_meas.
    await bus.writeByte(address, Reg.ctrlHum, osrsCode(osr.humidity));
    const config = (standbyCode(this.options.standbyMs) << 5) | (filterCode(this.options.filter) << 2);
    await bus.writeByte(address, Reg.config, config);
    await bus.writeByte(
      address,
      Reg.ctrlMeas,
      this.ctrlMeasBase | (mode === 'normal' ? MODE_NORMAL : MODE_SLEEP),
    );
    // In normal mode the data registers hold their reset value until the first cycle ends.
    if (mode === 'normal') await timing.sleep(this.maxMeasurementMs());
  }

  async read(): Promise<ChannelReading[]> {
    const calibration = this.calibration;
    if (!calibration) throw new DeviceFault('not-ready', `${this.where}: BME280 read before init`);
    const { bus, address } = this.io;
    if (this.options.mode === 'forced') {
      // Forced mode: one measurement per ctrl_meas write, then back to sleep (§3.3.3).
      await bus.writeByte(address, Reg.ctrlMeas, this.ctrlMeasBase | MODE_FORCED);
      await this.waitForStatus(STATUS_MEASURING, {
        firstWaitMs: this.maxMeasurementMs(),
        intervalMs: 1,
        attempts: 1 + MEASURING_POLLS,
        what: `${this.where}: BME280 conversion`,
        symptom: 'status measuring bit stays set',
      });
    }
    // One burst so all three values come from the same measurement (§4, data register shadowing).
    const buffer = Buffer.alloc(DATA_LENGTH);
    await bus.readI2cBlock(address, Reg.data, DATA_LENGTH, buffer);
    const values = compensate(parseRawData(buffer), calibration, this.options.compensation);
    const osr = this.options.oversampling;
    return [
      reading('temperature', values.temperatureC, osr.temperature, TEMPERATURE_RANGE_C),
      reading('pressure', values.pressurePa, osr.pressure, PRESSURE_RANGE_PA),
      reading('humidity', values.humidityPct, osr.humidity, HUMIDITY_RANGE_PCT),
    ];
  }

  /** Appendix B §9.1 maximum, rounded up to whole ms for timing.sleep. */
  private maxMeasurementMs(): number {
    return Math.ceil(measurementTimeMs(this.options.oversampling, 'max'));
  }

  /** Until the status bit `busy` reads 0. */
  private async waitForStatus(busy: number, schedule: PollSchedule): Promise<void> {
    const { bus, address, timing } = this.io;
    await pollUntil(
      timing,
      schedule,
      () => bus.readByte(address, Reg.status),
      (status) => (status & busy) === 0,
    );
  }

  private async readCalibration(): Promise<Bme280Calibration> {
    const { bus, address } = this.io;
    const tp = Buffer.alloc(CALIB_TP_LENGTH);
    const h = Buffer.alloc(CALIB_H_LENGTH);
    await bus.readI2cBlock(address, Reg.calibTp, CALIB_TP_LENGTH, tp);
    await bus.readI2cBlock(address, Reg.calibH, CALIB_H_LENGTH, h);
    return parseCalibration(tp, h);
  }
}

/**
 * A skipped measurement (oversampling 0) leaves the register at 0x80000/0x8000 (§3.5),
 * which compensates to a plausible-looking number, so it becomes a bad reading. The raw
 * value alone cannot tell: with typical trims 0x80000 is about 23 °C and 0x8000 about
 * 83 %RH, values a lab sees. A value at the reference driver's clamp is 'uncertain':
 * the true value may lie beyond it.
 */
function reading(
  channel: string,
  value: number,
  oversampling: number,
  range: { min: number; max: number },
): ChannelReading {
  if (oversampling === 0) {
    return { channel, value: null, quality: 'bad', error: 'measurement skipped (oversampling 0)' };
  }
  if (Number.isNaN(value)) return { channel, value: null, quality: 'bad', error: 'compensation gave NaN' };
  const clamped = value <= range.min || value >= range.max;
  return { channel, value, quality: clamped ? 'uncertain' : 'good' };
}
