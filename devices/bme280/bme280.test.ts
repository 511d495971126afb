import { describe, expect, it } from 'vitest';
import { DeviceFault, type I2cBus } from '../../src/device-kit/index.js';
import { i2cRig, readChannels } from '../../test/support/device-harness.js';
import { type Bme280Calibration, encodeCalibration, parseCalibration } from './calibration.js';
import {
  compensate,
  compensateHumidityDouble,
  compensateHumidityInt32,
  compensatePressureDouble,
  compensatePressureInt64,
  compensateTemperatureDouble,
  compensateTemperatureInt32,
  pressureQ24p8Int64,
} from './compensation.js';
import { definition, optionsSchema } from './index.js';
import { REFERENCE, SIGNED } from './reference-vectors.js';
import { type Bme280Sim, REFERENCE_CALIBRATION } from './sim.js';

const bytes = (hexString: string) => Uint8Array.from(Buffer.from(hexString, 'hex'));
const calibrationOf = (v: { tp: string; h: string }) => parseCalibration(bytes(v.tp), bytes(v.h));

/** BMP280 datasheet §3.11.3 trims; the BME280 shares these formulas (BME280 §4.2.3). */
const BMP280_EXAMPLE: Bme280Calibration = {
  ...REFERENCE_CALIBRATION,
  digT1: 27504,
  digT2: 26435,
  digT3: -1000,
  ...{ digP1: 36477, digP2: -10685, digP3: 3024, digP4: 2855, digP5: 140 },
  ...{ digP6: -7, digP7: 15500, digP8: -14600, digP9: 6000 },
};

describe('calibration', () => {
  it('parses the registers of the simulated chip into its published trims', () => {
    expect(calibrationOf(REFERENCE)).toEqual(REFERENCE_CALIBRATION);
  });

  it('unpacks dig_H4/dig_H5 as 12-bit signed values sharing 0xE5', () => {
    const c = calibrationOf(SIGNED);
    expect([c.digH2, c.digH3, c.digH4, c.digH5, c.digH6]).toEqual([350, 200, 300, -20, -10]);
    const extreme = { ...c, digH4: -2048, digH5: 2047 };
    const { tp, h } = encodeCalibration(extreme);
    expect(parseCalibration(tp, h)).toEqual(extreme);
  });
});

describe('compensation against BME280_SensorAPI', () => {
  for (const [name, set] of [['REFERENCE', REFERENCE] as const, ['SIGNED', SIGNED] as const]) {
    it(`matches every ${name} vector exactly, double and integer`, () => {
      const cal = calibrationOf(set);
      for (const [adcT, adcP, adcH, fT, fP, fH, fFine, iT, iP, iH, iFine] of set.rows) {
        const label = `adc ${adcT}/${adcP}/${adcH}`;
        const double = compensateTemperatureDouble(adcT, cal);
        expect([double.celsius, double.tFine], label).toEqual([fT, fFine]);
        expect(compensatePressureDouble(adcP, cal, double.tFine), label).toBe(fP);
        expect(compensateHumidityDouble(adcH, cal, double.tFine), label).toBe(fH);
        const integer = compensateTemperatureInt32(adcT, cal);
        expect([integer.centiCelsius, integer.tFine], label).toEqual([iT, iFine]);
        expect(compensatePressureInt64(adcP, cal, integer.tFine), label).toBe(iP);
        expect(compensateHumidityInt32(adcH, cal, integer.tFine), label).toBe(iH);
      }
    });
  }

  it('reproduces the BMP280 datasheet §3.11.3 temperature example: 25.08 °C', () => {
    const double = compensateTemperatureDouble(519888, BMP280_EXAMPLE);
    expect(double.celsius).toBeCloseTo(25.08, 2);
    expect(double.tFine).toBe(128422);
    // The reference divides where the datasheet shifts: t_fine is 128423, not 128422.
    expect(compensateTemperatureInt32(519888, BMP280_EXAMPLE)).toEqual({ centiCelsius: 2508, tFine: 128423 });
  });

  it('reproduces the datasheet pressure example, 100653.27 Pa, within 0.02 Pa', () => {
    expect(compensatePressureDouble(415148, BMP280_EXAMPLE, 128422)).toBeCloseTo(100653.27, 1);
    // The datasheet prints 25767236 (Q24.8); no integer t_fine reproduces it with the published
    // listing (128422 gives 25767233, 128423 gives 25767240), so the reference's values are pinned.
    expect(pressureQ24p8Int64(415148, BMP280_EXAMPLE, 128422)).toBe(25767233n);
    expect(pressureQ24p8Int64(415148, BMP280_EXAMPLE, 128423)).toBe(25767240n);
    expect(compensatePressureInt64(415148, BMP280_EXAMPLE, 128423)).toBe(10065328);
    expect(compensatePressureInt64(415148, BMP280_EXAMPLE, 128423) / 100).toBeCloseTo(100653.27, 1);
  });

  it('agrees with pimoroni/bme280-python on its test vector to 0.001', () => {
    const out = compensate({ adcT: 529191, adcP: 326816, adcH: 30281 }, REFERENCE_CALIBRATION, 'float');
    expect(out.temperatureC).toBeCloseTo(24.7894877676, 4);
    expect(out.pressurePa / 100).toBeCloseTo(1006.61517564, 3);
    expect(out.humidityPct).toBeCloseTo(68.66996648709039, 3);
  });

  it('clamps to -40..85 °C, 30000..110000 Pa and 0..100 %RH in both paths', () => {
    const cal = REFERENCE_CALIBRATION;
    // Realistic combinations: pressure's formula depends on t_fine, so extremes of adc_T alone
    // do not give a pressure clamp (the C reference gives these in both paths).
    const low = { adcT: 300000, adcP: 800000, adcH: 0 };
    const high = { adcT: 740000, adcP: 300000, adcH: 60000 };
    for (const mode of ['float', 'integer'] as const) {
      expect(compensate(low, cal, mode)).toEqual({ temperatureC: -40, pressurePa: 30000, humidityPct: 0 });
      expect(compensate(high, cal, mode)).toEqual({ temperatureC: 85, pressurePa: 110000, humidityPct: 100 });
    }
  });

  it('returns the minimum pressure where the reference guards a division by zero', () => {
    const broken = { ...REFERENCE_CALIBRATION, digP1: 0 };
    expect(compensatePressureDouble(400000, broken, 120000)).toBe(30000);
    expect(compensatePressureInt64(400000, broken, 120000)).toBe(3000000);
  });
});

const setup = (options: Record<string, unknown> = {}, address = 0x76) =>
  i2cRig<Bme280Sim>(definition, { options, address });

describe('driver on the simulated chip', () => {
  const temperatures = [-40, -25, 0, 21.5, 40, 60, 85];
  const pressures = [30000, 50000, 70000, 90000, 101325, 110000];
  const humidities = [0, 5, 33.3, 50, 75, 95, 100];
  // Resolution at x16 (datasheet Tables 5, 6, 7): 0.0003 °C, 0.16 Pa, 0.008 %RH; the integer
  // paths add their own steps (0.01 °C, t_fine truncation, 1/1024 %RH).
  const tolerance = {
    float: { temperature: 0.0005, pressure: 0.15, humidity: 0.005 },
    integer: { temperature: 0.011, pressure: 0.6, humidity: 0.011 },
  };

  for (const compensation of ['float', 'integer'] as const) {
    it(`reads back inputs across -40..85 °C, 300..1100 hPa, 0..100 %RH (${compensation})`, async () => {
      const x16 = { temperature: 16, pressure: 16, humidity: 16 };
      const { sim, driver } = setup({ compensation, oversampling: x16 });
      await driver.init();
      const tol = tolerance[compensation];
      for (const temperatureC of temperatures) {
        for (const pressurePa of pressures) {
          for (const humidityPct of humidities) {
            sim.setInputs({ temperatureC, pressurePa, humidityPct });
            const got = readChannels(await driver.read());
            const label = `${temperatureC} °C ${pressurePa} Pa ${humidityPct} %RH`;
            expect(Math.abs(got.temperature! - temperatureC), label).toBeLessThanOrEqual(tol.temperature);
            expect(Math.abs(got.pressure! - pressurePa), label).toBeLessThanOrEqual(tol.pressure);
            expect(Math.abs(got.humidity! - humidityPct), label).toBeLessThanOrEqual(tol.humidity);
          }
        }
      }
    });
  }

  it('at oversampling x1 resolves 16 bits: 0.005 °C and 2.6 Pa steps (Tables 5, 6)', async () => {
    const { sim, driver } = setup();
    await driver.init();
    sim.setInputs({ temperatureC: 23.456, pressurePa: 98765.4, humidityPct: 41.2 });
    const got = readChannels(await driver.read());
    expect(Math.abs(got.temperature! - 23.456)).toBeLessThanOrEqual(0.003);
    expect(Math.abs(got.pressure! - 98765.4)).toBeLessThanOrEqual(1.8);
    expect(Math.abs(got.humidity! - 41.2)).toBeLessThanOrEqual(0.01);
  });

  it('initialises in datasheet order: reset, NVM wait, calibration, ctrl_hum, config, ctrl_meas', async () => {
    const { bus, address, clock } = setup();
    const log: string[] = [];
    const recording = new Proxy(bus, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function' || !/^(read|write)/.test(String(key))) return value;
        return (...args: unknown[]) => {
          log.push(
            `${String(key)} ${args
              .slice(1, 3)
              .map((a) => Number(a).toString(16))
              .join(' ')}`,
          );
          return value.apply(target, args);
        };
      },
    }) as I2cBus;
    const recorded = definition.create(
      { bus: recording, address, timing: clock },
      optionsSchema.parse({ filter: 4, oversampling: { humidity: 2, pressure: 8 } }),
    );
    await recorded.init();
    expect(log).toEqual([
      'readByte d0',
      'writeByte e0 b6',
      'readByte f3',
      'readI2cBlock 88 1a',
      'readI2cBlock e1 7',
      'writeByte f2 2',
      'writeByte f5 a8', // t_sb 1000 ms (101), filter 4 (010)
      'writeByte f4 30', // osrs_t x1 (001), osrs_p x8 (100), sleep
    ]);
  });

  it('forced mode: one conversion per read, waiting the datasheet maximum time', async () => {
    const { sim, driver, clock } = setup({
      oversampling: { temperature: 16, pressure: 16, humidity: 16 },
    });
    await driver.init();
    sim.setInputs({ temperatureC: 30 });
    const before = clock.nowMs();
    expect(readChannels(await driver.read()).temperature).toBeCloseTo(30, 2);
    // 1.25 + 2.3·16 + (2.3·16 + 0.575) · 2 = 112.8 ms, rounded up (Appendix B §9.1).
    expect(clock.nowMs() - before).toBe(113);
    sim.setInputs({ temperatureC: 31 });
    expect(readChannels(await driver.read()).temperature).toBeCloseTo(31, 2);
  });

  it('normal mode: reads the latest cycle without starting conversions', async () => {
    const { sim, driver, clock, bus, address } = setup({ mode: 'normal', standbyMs: 125 });
    sim.setInputs({ temperatureC: 18 });
    await driver.init();
    expect(readChannels(await driver.read()).temperature).toBeCloseTo(18, 2);
    sim.setInputs({ temperatureC: 19 });
    const transfers = bus.transfers.get(address)!;
    await clock.sleep(140);
    expect(readChannels(await driver.read()).temperature).toBeCloseTo(19, 2);
    expect(bus.transfers.get(address)! - transfers).toBe(1);
  });

  it('the IIR filter (§3.4.4) makes a step in temperature arrive gradually', async () => {
    const { sim, driver } = setup({ filter: 16 });
    sim.setInputs({ temperatureC: 20 });
    await driver.init();
    await driver.read();
    sim.setInputs({ temperatureC: 36 });
    expect(readChannels(await driver.read()).temperature).toBeCloseTo(21, 1);
    expect(readChannels(await driver.read()).temperature).toBeCloseTo(21.94, 1);
  });

  it('gives a bad reading for a skipped channel and keeps the others', async () => {
    const { driver } = setup({ oversampling: { pressure: 0 } });
    await driver.init();
    const readings = await driver.read();
    expect(readings.find((r) => r.channel === 'pressure')).toMatchObject({ value: null, quality: 'bad' });
    expect(readings.find((r) => r.channel === 'temperature')).toMatchObject({ quality: 'good' });
    expect(readings.find((r) => r.channel === 'humidity')!.value).toBeCloseTo(45, 1);
  });

  it('marks a value at a clamp as uncertain', async () => {
    const { sim, driver } = setup();
    await driver.init();
    sim.setInputs({ temperatureC: 95, humidityPct: 50 });
    const readings = await driver.read();
    expect(readings.find((r) => r.channel === 'temperature')).toMatchObject({
      value: 85,
      quality: 'uncertain',
    });
  });

  it('refuses pressure or humidity without temperature (they need t_fine)', async () => {
    const { driver } = setup({ oversampling: { temperature: 0 } });
    await expect(driver.init()).rejects.toMatchObject({ reason: 'config' });
  });
});

describe('faults', () => {
  it('names bus, address, expected and found chip id', async () => {
    const { sim, driver } = setup({}, 0x77);
    sim.setChipId(0x58);
    const error = await driver.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect((error as DeviceFault).reason).toBe('wrong-chip-id');
    for (const part of ['i2c-1', '0x77', '0x60', '0x58']) expect((error as Error).message).toContain(part);
  });

  it('gives up on a conversion that never completes after a bounded number of polls', async () => {
    const { sim, driver, bus, address } = setup();
    await driver.init();
    sim.stickMeasuring(true);
    const transfers = bus.transfers.get(address)!;
    await expect(driver.read()).rejects.toMatchObject({ reason: 'not-ready' });
    expect(bus.transfers.get(address)! - transfers).toBeLessThan(20);
    sim.stickMeasuring(false);
    await expect(driver.read()).resolves.toHaveLength(3);
  });

  it('surfaces a NACK (EREMOTEIO) and an EIO as thrown errors', async () => {
    const { bus, driver, address } = setup();
    bus.unplug(address);
    await expect(driver.init()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    bus.replug(address);
    await driver.init();
    bus.failNext(address, 'EIO');
    await expect(driver.read()).rejects.toMatchObject({ code: 'EIO' });
    await expect(driver.read()).resolves.toHaveLength(3);
  });
});

describe('simulator and definition', () => {
  it('latches ctrl_hum only on a ctrl_meas write (§5.4.3)', async () => {
    const { clock, bus } = setup();
    const humidityAfter = async (ms: number) => {
      await clock.sleep(ms);
      return bus.readWord(0x76, 0xfd);
    };
    await bus.writeByte(0x76, 0xf4, 0b001_001_11); // normal mode, ctrl_hum still 0 (skipped)
    expect(await humidityAfter(50)).toBe(0x0080); // 0x8000, read as a little-endian word
    await bus.writeByte(0x76, 0xf2, 0x01);
    expect(await humidityAfter(50)).toBe(0x0080);
    await bus.writeByte(0x76, 0xf4, 0b001_001_11);
    expect(await humidityAfter(50)).not.toBe(0x0080);
  });

  it('soft reset clears the control registers and sets im_update briefly', async () => {
    const { clock, bus } = setup();
    await bus.writeByte(0x76, 0xf2, 0x03);
    await bus.writeByte(0x76, 0xe0, 0xb6);
    expect((await bus.readByte(0x76, 0xf3)) & 0x01).toBe(1);
    expect(await bus.readByte(0x76, 0xf2)).toBe(0);
    await clock.sleep(2);
    expect((await bus.readByte(0x76, 0xf3)) & 0x01).toBe(0);
  });

  it('identifies by chip id only, and exports an i2c-stub image', async () => {
    const { sim, bus } = setup();
    expect(await definition.identify(bus, 0x76)).toBe(true);
    expect(await definition.identify(bus, 0x77)).toBe(false);
    sim.setChipId(0x61);
    expect(await definition.identify(bus, 0x76)).toBe(false);
    const image = sim.registerImage().bytes;
    expect(image.get(0xd0)).toBe(0x61);
    expect(image.get(0x88)).toBe(bytes(REFERENCE.tp)[0]);
    expect(image.get(0xe7)).toBe(30);
  });

  it('has strict options with documented defaults', () => {
    expect(optionsSchema.parse({})).toEqual({
      mode: 'forced',
      oversampling: { temperature: 1, pressure: 1, humidity: 1 },
      filter: 'off',
      standbyMs: 1000,
      compensation: 'float',
    });
    expect(optionsSchema.safeParse({ oversampling: { temperature: 3 } }).success).toBe(false);
    expect(optionsSchema.safeParse({ sampling: 2 }).success).toBe(false);
    expect(optionsSchema.safeParse({ oversampling: { humid: 2 } }).success).toBe(false);
  });
});
