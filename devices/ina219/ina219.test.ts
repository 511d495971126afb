import { describe, expect, it } from 'vitest';
import {
  type ChannelReading,
  DeviceFault,
  readRegister16,
  type SimI2cDevice,
  swap16,
  writeRegister16,
} from '../../src/device-kit/index.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { i2cRig } from '../../test/support/device-harness.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { calibrationFor, minimumCurrentLsbA, planCalibration } from './calibration.js';
import { definition, type Ina219Options } from './index.js';
import {
  adcConversionUs,
  CONFIG_RESET,
  cycleTimeMs,
  decodeBus,
  decodeConfig,
  decodeShunt,
  encodeConfig,
  SHUNT_RANGES_MV,
} from './registers.js';
import type { Ina219Sim } from './sim.js';

const ADDRESS = 0x40;
const DATASHEET = {
  shuntOhms: 0.002,
  maxCurrentA: 15,
  currentLsbA: 0.001,
  busVoltageRangeV: 16,
  shuntRangeMv: 40,
};

const setup = (options: unknown = {}) =>
  i2cRig<Ina219Sim, Ina219Options>(definition, { options, wordsOnly: true });

/** Registers as the chip holds them (MSB-first values), from the SMBus image. */
const registers = (sim: Ina219Sim) => [...sim.registerImage().words.values()].map(swap16);

const byChannel = (readings: ChannelReading[]) => Object.fromEntries(readings.map((r) => [r.channel, r]));

describe('ina219 calibration and registers (pure)', () => {
  it('reproduces the datasheet calibration example (SBOS448 §8.5.1): 2 mΩ, 15 A, 1 mA LSB → 20480', () => {
    expect(minimumCurrentLsbA(15)).toBeCloseTo(457.76e-6, 8);
    expect(calibrationFor(0.001, 0.002)).toBe(20480);
    expect(planCalibration(DATASHEET)).toEqual({ currentLsbA: 0.001, powerLsbW: 0.02, calibration: 0x5000 });
  });

  it('uses the minimum Current_LSB by default: 0.1 Ω and 3.2 A give 97.66 µA and Cal 4194', () => {
    expect(planCalibration({ shuntOhms: 0.1, maxCurrentA: 3.2 })).toEqual({
      currentLsbA: 3.2 / 32768,
      powerLsbW: (20 * 3.2) / 32768,
      calibration: 4194,
    });
  });

  it('takes a rounder Current_LSB: 100 µA on a 0.1 Ω board gives Cal 4096', () => {
    expect(planCalibration({ shuntOhms: 0.1, maxCurrentA: 3.2, currentLsbA: 0.0001 }).calibration).toBe(4096);
  });

  it('keeps bit 0 of the calibration clear, as the chip does', () => {
    expect(calibrationFor(1 / 32768, 0.1)).toBe(13421);
    expect(planCalibration({ shuntOhms: 0.1, maxCurrentA: 1 }).calibration).toBe(13420);
  });

  it.each([
    ['a Current_LSB below max/2^15', { shuntOhms: 0.1, maxCurrentA: 3.2, currentLsbA: 1e-5 }, /overflow/],
    ['a calibration above 16 bits', { shuntOhms: 0.001, maxCurrentA: 0.01 }, /does not fit/],
    ['a calibration of 0', { shuntOhms: 0.1, maxCurrentA: 3.2, currentLsbA: 10 }, /rounds to 0/],
  ])('refuses %s', (_what, o, message) => {
    expect(() => planCalibration(o)).toThrow(message);
  });

  it('encodes the config register (§8.6.2.1)', () => {
    expect(encodeConfig({ busVoltageRangeV: 32, shuntRangeMv: 320, averaging: 1 })).toBe(CONFIG_RESET);
    expect(encodeConfig({ busVoltageRangeV: 16, shuntRangeMv: 40, averaging: 1 })).toBe(0x019f);
    expect(encodeConfig({ busVoltageRangeV: 32, shuntRangeMv: 80, averaging: 128 })).toBe(0x2fff);
    expect(decodeConfig(0x2fff)).toMatchObject({
      busVoltageRangeV: 32,
      shuntRangeMv: 80,
      busAdc: 15,
      shuntAdc: 15,
    });
    expect([0b0000, 0b0011, 0b1000, 0b1001, 0b1111].map(adcConversionUs)).toEqual([
      84, 532, 532, 1060, 68100,
    ]);
    expect(cycleTimeMs(CONFIG_RESET)).toBeCloseTo(1.064, 9);
  });

  it('decodes the shunt and bus registers, flags included (§8.6.3.1, §8.6.3.2)', () => {
    expect(decodeShunt(0x07d0)).toEqual({ counts: 2000, volts: 0.02 });
    expect(decodeShunt(0x8300).counts).toBe(-32000);
    expect(decodeBus(0x5d98)).toEqual({
      counts: 2995,
      volts: 11.98,
      conversionReady: false,
      overflow: false,
    });
    expect(decodeBus(0x5dc3)).toMatchObject({ counts: 3000, conversionReady: true, overflow: true });
  });
});

describe('ina219 options', () => {
  it('defaults to a 0.1 Ω breakout at 3.2 A, 32 V, ±320 mV, no averaging', () => {
    expect(definition.options.parse({})).toEqual({
      shuntOhms: 0.1,
      maxCurrentA: 3.2,
      busVoltageRangeV: 32,
      shuntRangeMv: 320,
      averaging: 1,
    });
    expect(definition.channels(definition.options.parse({})).map((c) => [c.id, c.unit])).toEqual([
      ['busVoltage', 'V'],
      ['shuntVoltage', 'V'],
      ['current', 'A'],
      ['power', 'W'],
    ]);
  });

  it.each([
    ['maxCurrentA × shuntOhms beyond the PGA range', { shuntRangeMv: 160 }],
    ['an unknown key', { shunt: 0.1 }],
    ['a bus range the chip lacks', { busVoltageRangeV: 26 }],
    ['a Current_LSB below the minimum', { currentLsbA: 1e-6 }],
    ['a negative shunt', { shuntOhms: -0.1 }],
  ])('rejects %s', (_what, raw) => {
    expect(definition.options.safeParse(raw).success).toBe(false);
  });
});

describe('ina219 driver against the simulator', () => {
  it('programs and reads the datasheet example: 10 A at 12 V through 2 mΩ', async () => {
    const { sim, driver } = setup(DATASHEET);
    sim.setInputs({ currentA: 10, busVoltageV: 11.98 });
    await driver.init();
    const r = byChannel(await driver.read());
    expect(r.shuntVoltage!.value).toBeCloseTo(0.02, 12);
    expect(r.busVoltage!.value).toBeCloseTo(11.98, 12);
    expect(r.current!.value).toBeCloseTo(10, 12);
    expect(r.power!.value).toBeCloseTo(119.8, 12);
    const [config, shunt, bus, power, current, calibration] = registers(sim);
    expect([config, shunt, bus! & 0xfff8, power, current, calibration]).toEqual([
      0x019f, 0x07d0, 0x5d98, 0x1766, 0x2710, 0x5000,
    ]);
  });

  it.each(SHUNT_RANGES_MV.map((range) => [range]))('measures currents across ±%i mV', async (range) => {
    const maxCurrentA = (range / 1000 / 0.1) * 0.99;
    const { sim, driver, options } = setup({ shuntRangeMv: range, maxCurrentA });
    const { currentLsbA, calibration } = planCalibration(options);
    await driver.init();
    for (let step = -4; step <= 4; step++) {
      const currentA = (maxCurrentA * step) / 4;
      sim.setInputs({ currentA, busVoltageV: 12 });
      const r = byChannel(await driver.read());
      const tolerance = 2 * currentLsbA + 5e-6 / 0.1 + (Math.abs(currentA) * 3) / calibration;
      expect(r.shuntVoltage!.value).toBeCloseTo(currentA * 0.1, 5);
      expect(Math.abs(r.current!.value! - currentA)).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(r.power!.value! - Math.abs(currentA) * 12)).toBeLessThanOrEqual(
        tolerance * 12 + 20 * currentLsbA,
      );
      expect(r.current!.quality).toBe('good');
    }
  });

  it('reads negative currents with a negative shunt voltage and a positive power', async () => {
    const { sim, driver } = setup();
    sim.setInputs({ currentA: -1.5, busVoltageV: 12 });
    await driver.init();
    const r = byChannel(await driver.read());
    expect(r.shuntVoltage!.value).toBeCloseTo(-0.15, 9);
    expect(r.current!.value).toBeCloseTo(-1.5, 3);
    expect(r.power!.value).toBeCloseTo(18, 1);
    expect(r.power!.value).toBeGreaterThan(0);
  });

  it.each([
    [32, 0, 'good'],
    [32, 5, 'good'],
    [32, 26, 'good'],
    [16, 12, 'good'],
    [16, 15.996, 'good'],
  ] as const)('reads a %i V range at %s V', async (busVoltageRangeV, busVoltageV, quality) => {
    const { sim, driver } = setup({ busVoltageRangeV });
    sim.setInputs({ currentA: 0.5, busVoltageV });
    await driver.init();
    const r = byChannel(await driver.read());
    expect(r.busVoltage!.value).toBeCloseTo(busVoltageV, 9);
    expect(r.busVoltage!.quality).toBe(quality);
  });

  it('marks a bus voltage beyond the 16 V range as uncertain', async () => {
    const { sim, driver } = setup({ busVoltageRangeV: 16 });
    sim.setInputs({ currentA: 0.5, busVoltageV: 20 });
    await driver.init();
    const r = byChannel(await driver.read());
    expect(r.busVoltage).toMatchObject({ value: 0x0fff * 0.004, quality: 'uncertain' });
    expect(r.busVoltage!.error).toMatch(/beyond the 16 V range/);
    expect(r.power!.quality).toBe('uncertain');
  });

  it('marks a shunt voltage beyond the PGA range as uncertain', async () => {
    const { sim, driver } = setup({ shuntRangeMv: 40, maxCurrentA: 0.4, currentLsbA: 0.0002 });
    sim.setInputs({ currentA: 0.5, busVoltageV: 5 });
    await driver.init();
    const r = byChannel(await driver.read());
    expect(r.shuntVoltage).toMatchObject({ value: 0.04095, quality: 'uncertain' });
    expect(r.shuntVoltage!.error).toMatch(/beyond the ±40 mV range/);
    expect(r.current!.quality).toBe('uncertain');
  });

  it('reports current and power as bad samples when the chip flags a math overflow', async () => {
    const { sim, driver } = setup({ maxCurrentA: 1 });
    sim.setInputs({ currentA: 2, busVoltageV: 12 });
    await driver.init();
    const r = byChannel(await driver.read());
    expect(r.busVoltage).toMatchObject({ value: 12, quality: 'good' });
    expect(r.shuntVoltage!.value).toBeCloseTo(0.2, 9);
    for (const channel of ['current', 'power']) {
      expect(r[channel]).toMatchObject({ value: null, quality: 'bad', error: expect.stringMatching(/OVF/) });
    }
  });

  it('waits one shunt + bus conversion cycle after configuring, averaging included', async () => {
    const { clock, driver } = setup({ averaging: 128 });
    await driver.init();
    expect(clock.nowMs()).toBeGreaterThanOrEqual(2 * 68.1);
    expect(clock.nowMs()).toBeLessThanOrEqual(2 * 68.1 * 1.1 + 2);
  });
});

describe('ina219 faults', () => {
  it.each([
    ['a power-on reset', (sim: Ina219Sim) => sim.reset()],
    ['RST written to config', (_sim: Ina219Sim, bus: SimI2cBus) => writeRegister16(bus, ADDRESS, 0, 0x8000)],
  ])('re-programs the calibration lost to %s', async (_what, resetChip) => {
    const { sim, bus, driver } = setup({ busVoltageRangeV: 16, shuntRangeMv: 160, maxCurrentA: 1.5 });
    sim.setInputs({ currentA: 1.2, busVoltageV: 12 });
    await driver.init();
    await resetChip(sim, bus);
    expect(registers(sim)[5]).toBe(0);
    expect(registers(sim)[4]).toBe(0); // what a driver without the check would report: 0 A
    const r = byChannel(await driver.read());
    expect(r.current!.value).toBeCloseTo(1.2, 3);
    expect(r.power!.value).toBeCloseTo(14.4, 1);
    expect(registers(sim)[0]).toBe(encodeConfig({ busVoltageRangeV: 16, shuntRangeMv: 160, averaging: 1 }));
    expect(registers(sim)[5]).toBe(planCalibration({ shuntOhms: 0.1, maxCurrentA: 1.5 }).calibration);
  });

  it('rejects with EREMOTEIO when the chip does not acknowledge, and recovers', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.unplug(ADDRESS);
    await expect(driver.read()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    bus.replug(ADDRESS);
    await expect(driver.read()).resolves.toHaveLength(4);
  });

  it('rejects with EIO on a failed transfer, and recovers', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.failNext(ADDRESS, 'EIO');
    await expect(driver.read()).rejects.toMatchObject({ code: 'EIO' });
    await expect(driver.read()).resolves.toHaveLength(4);
  });

  it('refuses a chip that does not keep config and calibration', async () => {
    const bus = new SimI2cBus(1);
    const other: SimI2cDevice = { write: () => {}, read: (n) => new Uint8Array(n), setInputs: () => {} };
    bus.attach(ADDRESS, other);
    const driver = definition.create(
      { bus, address: ADDRESS, timing: new ManualClock() },
      definition.options.parse({}),
    );
    await expect(driver.init()).rejects.toMatchObject({
      reason: 'wrong-chip-id',
      message:
        'i2c-1 0x40: expected an INA219 holding config 0x399f and calibration 0x1062, found 0x0000 and 0x0000',
    });
  });

  it.each([
    ['cannot be programmed', { currentLsbA: 1e-9 }, /below maxCurrentA/],
    ['exceed the shunt range', { shuntRangeMv: 40 }, /320\.0 mV exceeds the ±40 mV shunt range/],
  ])(
    'refuses options that %s even when they bypass the schema (as the node config does)',
    (_what, raw, message) => {
      // The node config parses only the options' fields, so the schema's cross-field check does not run there.
      const options = definition.options.parse({}) as Ina219Options;
      Object.assign(options, raw);
      const create = () =>
        definition.create({ bus: new SimI2cBus(1), address: ADDRESS, timing: new ManualClock() }, options);
      expect(create).toThrow(DeviceFault);
      expect(create).toThrow(message);
    },
  );
});

describe('ina219 identify', () => {
  it('recognises the power-on config, reading only', async () => {
    const { bus, sim } = setup();
    expect(await definition.identify(bus, ADDRESS)).toBe(true);
    expect(registers(sim)[0]).toBe(CONFIG_RESET);
  });

  it('does not recognise a chip configured away from the defaults', async () => {
    const { bus, driver } = setup({ busVoltageRangeV: 16 });
    await driver.init();
    expect(await definition.identify(bus, ADDRESS)).toBe(false);
  });

  it('answers false for an empty address', async () => {
    expect(await definition.identify(new SimI2cBus(1), 0x41)).toBe(false);
  });
});

describe('ina219 simulator', () => {
  it('sets CNVR after a conversion cycle and clears it on a power read or a config write (§8.6.3.2)', async () => {
    const { clock, sim, bus } = setup();
    sim.setInputs({ currentA: 1, busVoltageV: 5 });
    const busWord = async () => decodeBus(await readRegister16(bus, ADDRESS, 2));
    await writeRegister16(bus, ADDRESS, 0, CONFIG_RESET);
    expect(await busWord()).toMatchObject({ conversionReady: false, counts: 0 });
    await clock.sleep(1.1);
    expect(await busWord()).toMatchObject({ conversionReady: true, counts: 1250 });
    await bus.readWord(ADDRESS, 3);
    expect((await busWord()).conversionReady).toBe(false);
    await clock.sleep(1.1);
    expect((await busWord()).conversionReady).toBe(true);
    await writeRegister16(bus, ADDRESS, 0, CONFIG_RESET);
    expect((await busWord()).conversionReady).toBe(false);
  });

  it('reads current and power as 0 until calibrated, and drops bit 0 of the calibration', async () => {
    const { clock, sim, bus } = setup();
    sim.setInputs({ currentA: 1, busVoltageV: 5 });
    await clock.sleep(2);
    expect(registers(sim).slice(3)).toEqual([0, 0, 0]);
    await writeRegister16(bus, ADDRESS, 5, 0x7fff);
    expect(await readRegister16(bus, ADDRESS, 5)).toBe(0x7ffe);
  });

  it('exports its registers as SMBus words for i2c-stub', () => {
    const { sim } = setup();
    expect(sim.registerImage().words.get(0)).toBe(0x9f39);
    expect(sim.registerImage().words.size).toBe(6);
  });
});
