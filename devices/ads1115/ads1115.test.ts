import { describe, expect, it } from 'vitest';
import {
  DeviceFault,
  readRegister16,
  type SimI2cDevice,
  swap16,
  writeRegister16,
} from '../../src/device-kit/index.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { i2cRig } from '../../test/support/device-harness.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { MAX_READY_POLLS } from './driver.js';
import { type Ads1115Options, definition } from './index.js';
import {
  codeToVolts,
  DATA_RATES,
  decodeConfig,
  encodeSingleShot,
  FULL_SCALES_V,
  MUX_PINS,
  MUX_SETTINGS,
  voltsToCode,
} from './registers.js';
import type { Ads1115Sim } from './sim.js';

const ADDRESS = 0x48;

const setup = (options: unknown = {}) => i2cRig<Ads1115Sim>(definition, { options, wordsOnly: true });

const configOf = (sim: Ads1115Sim) => swap16(sim.registerImage().words.get(1)!);

describe('ads1115 registers (pure)', () => {
  it('encodes a single-shot config word bit for bit (SBAS444D §9.6.3)', () => {
    // OS=1, MUX=100 (AIN0/GND), PGA=001 (±4.096), MODE=1, DR=100 (128 SPS), COMP_QUE=11.
    expect(encodeSingleShot({ mux: 'ain0', fullScaleV: 4.096, dataRate: 128 }, true)).toBe(0xc383);
    expect(encodeSingleShot({ mux: 'ain0-ain1', fullScaleV: 2.048, dataRate: 128 }, false)).toBe(0x0583);
    expect(decodeConfig(0x8583)).toMatchObject({
      idle: true,
      mux: 'ain0-ain1',
      fullScaleV: 2.048,
      dataRate: 128,
    });
    expect(decodeConfig(0x0e00).fullScaleV).toBe(0.256); // PGA 111 is ±0.256 V as well
  });

  it('maps codes to volts as two’s complement of FS/2^15 and clips at ±FS', () => {
    expect(codeToVolts(0x0001, 2.048)).toBe(2.048 / 32768);
    expect(codeToVolts(0xffff, 2.048)).toBe(-2.048 / 32768);
    expect(codeToVolts(0x8000, 0.256)).toBe(-0.256);
    expect(voltsToCode(5, 4.096)).toBe(0x7fff);
    expect(voltsToCode(-5, 4.096)).toBe(0x8000);
    expect(voltsToCode(1.024, 4.096)).toBe(0x2000);
  });
});

describe('ads1115 options and channels', () => {
  it('defaults to four single-ended inputs at ±4.096 V and 128 SPS', () => {
    const o = definition.options.parse({}) as Ads1115Options;
    expect(o.dataRate).toBe(128);
    expect(o.inputs.map((i) => [i.name, i.mux, i.fullScaleV])).toEqual([
      ['ain0', 'ain0', 4.096],
      ['ain1', 'ain1', 4.096],
      ['ain2', 'ain2', 4.096],
      ['ain3', 'ain3', 4.096],
    ]);
    expect(definition.channels(o).map((c) => c.unit)).toEqual(['V', 'V', 'V', 'V']);
  });

  it('names channels after the inputs, in volts whatever the input measures', () => {
    const o = definition.options.parse({
      inputs: [
        { name: 'ph', mux: 'ain0' },
        { name: 'shunt', mux: 'ain2-ain3', fullScaleV: 0.256 },
      ],
    });
    expect(definition.channels(o)).toEqual([
      { id: 'ph', unit: 'V', description: 'AIN0 vs GND, ±4.096 V' },
      { id: 'shunt', unit: 'V', description: 'AIN2–AIN3, ±0.256 V' },
    ]);
  });

  it.each([
    ['an unknown key', { inputs: [{ name: 'a', mux: 'ain0', gain: 2 }] }],
    ['a MUX pair the chip lacks', { inputs: [{ name: 'a', mux: 'ain1-ain2' }] }],
    ['a full scale the PGA lacks', { inputs: [{ name: 'a', mux: 'ain0', fullScaleV: 5 }] }],
    ['a data rate the chip lacks', { dataRate: 100 }],
    [
      'duplicate names',
      {
        inputs: [
          { name: 'a', mux: 'ain0' },
          { name: 'a', mux: 'ain1' },
        ],
      },
    ],
    ['no inputs', { inputs: [] }],
    ['a name that is not an identifier', { inputs: [{ name: 'p h', mux: 'ain0' }] }],
    [
      'a calibration (the channel pipeline calibrates, channels.<name>.calibration)',
      {
        inputs: [
          {
            name: 'a',
            mux: 'ain0',
            calibration: {
              points: [
                [0, 7],
                [0.1775, 4],
              ],
            },
          },
        ],
      },
    ],
  ])('rejects %s', (_what, raw) => {
    expect(definition.options.safeParse(raw).success).toBe(false);
  });
});

describe('ads1115 driver against the simulator', () => {
  // Small enough for every range, different on every pin so each MUX pair gives its own value.
  const pins = { ain0V: 0.2, ain1V: 0.05, ain2V: 0.125, ain3V: 0.0375 };
  const fullScales = [...FULL_SCALES_V];

  it.each(MUX_SETTINGS.flatMap((mux) => fullScales.map((fs) => [mux, fs] as const)))(
    'MUX %s at ±%s V',
    async (mux, fullScaleV) => {
      const { sim, driver } = setup({ inputs: [{ name: 'x', mux, fullScaleV }] });
      sim.setInputs(pins);
      await driver.init();
      const [reading] = await driver.read();
      const [p, n] = MUX_PINS[mux];
      const volts = [pins.ain0V, pins.ain1V, pins.ain2V, pins.ain3V];
      const expected = volts[p]! - (n === null ? 0 : volts[n]!);
      expect(reading!.quality).toBe('good');
      expect(Math.abs(reading!.value! - expected)).toBeLessThanOrEqual(fullScaleV / 32768 / 2);
      expect(decodeConfig(configOf(sim))).toMatchObject({ idle: true, mux, fullScaleV, singleShot: true });
      expect(decodeConfig(configOf(sim)).comparatorQueue).toBe(0b11);
    },
  );

  it('reads negative differential inputs', async () => {
    const { sim, driver } = setup({ inputs: [{ name: 'd', mux: 'ain0-ain1', fullScaleV: 2.048 }] });
    sim.setInputs({ ain0V: 0.5, ain1V: 1.5 });
    await driver.init();
    expect(await driver.read()).toEqual([{ channel: 'd', value: -1, quality: 'good' }]);
  });

  it.each([
    ['above +FS', { ain0V: 3.0, ain1V: 0 }, 0x7fff],
    ['below −FS', { ain0V: 0, ain1V: 3.0 }, 0x8000],
  ])('marks an input %s as clipped', async (_what, inputs, code) => {
    const { sim, driver } = setup({ inputs: [{ name: 'd', mux: 'ain0-ain1', fullScaleV: 2.048 }] });
    sim.setInputs(inputs);
    await driver.init();
    const [reading] = await driver.read();
    expect(reading!.value).toBe(codeToVolts(code, 2.048));
    expect(reading!.quality).toBe('uncertain');
    expect(reading!.error).toContain('input beyond ±FS');
  });

  it('reads every configured input in order, each with its own range', async () => {
    const { sim, driver } = setup({
      inputs: [
        { name: 'ph', mux: 'ain0' },
        { name: 'load', mux: 'ain2-ain3', fullScaleV: 0.256 },
        { name: 'supply', mux: 'ain1', fullScaleV: 6.144 },
      ],
    });
    sim.setInputs({ ain0V: 1.5, ain1V: 5.0, ain2V: 0.1, ain3V: 0.05 });
    await driver.init();
    const readings = await driver.read();
    expect(readings.map((r) => r.channel)).toEqual(['ph', 'load', 'supply']);
    expect(readings[0]!.value).toBeCloseTo(1.5, 3);
    expect(readings[1]!.value).toBeCloseTo(0.05, 3);
    expect(readings[2]!.value).toBeCloseTo(5.0, 3);
  });

  it.each(DATA_RATES.map((dr) => [dr]))(
    'waits one conversion (+10%%) per input at %i SPS',
    async (dataRate) => {
      const { clock, sim, driver } = setup({ inputs: [{ name: 'a', mux: 'ain0' }], dataRate });
      sim.setInputs({ ain0V: 1 });
      await driver.init();
      const before = clock.nowMs();
      expect((await driver.read())[0]!.value).toBeCloseTo(1, 3);
      const spent = clock.nowMs() - before;
      expect(spent).toBeGreaterThanOrEqual(1000 / dataRate);
      expect(spent).toBeLessThanOrEqual((1000 / dataRate) * 1.1 + 2);
    },
  );

  it('polls the OS bit when the oscillator runs slower than the tolerance allows', async () => {
    const { sim, driver } = setup({ inputs: [{ name: 'a', mux: 'ain0' }], dataRate: 8 });
    sim.setInputs({ ain0V: 1 });
    sim.setOscillatorError(0.3);
    await driver.init();
    expect((await driver.read())[0]!.value).toBeCloseTo(1, 3);
  });
});

describe('ads1115 faults', () => {
  it('rejects with EREMOTEIO when the chip does not acknowledge', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.unplug(ADDRESS);
    await expect(driver.read()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    bus.replug(ADDRESS);
    await expect(driver.read()).resolves.toHaveLength(4);
  });

  it('rejects with EIO on a failed transfer and recovers on the next read', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.failNext(ADDRESS, 'EIO');
    await expect(driver.read()).rejects.toMatchObject({ code: 'EIO' });
    await expect(driver.read()).resolves.toHaveLength(4);
  });

  it('gives up on a conversion that never completes after a bounded wait', async () => {
    const { clock, sim, driver } = setup({ inputs: [{ name: 'a', mux: 'ain0' }], dataRate: 128 });
    await driver.init();
    sim.stickConversion(true);
    const before = clock.nowMs();
    const error = await driver.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect(error).toMatchObject({ reason: 'not-ready' });
    expect((error as Error).message).toMatch(/i2c-1 0x48: ADS1115 conversion of a not ready/);
    const spent = clock.nowMs() - before;
    expect(spent).toBeGreaterThan(1000 / 128);
    expect(spent).toBeLessThanOrEqual(10 + MAX_READY_POLLS * 1);
    sim.stickConversion(false);
    await expect(driver.read()).resolves.toHaveLength(1);
  });

  it('refuses a chip that does not keep the config it is sent', async () => {
    const clock = new ManualClock(0);
    const bus = new SimI2cBus(1);
    // Answers every read with the same word, as a chip with other registers at 0x48 might.
    const other: SimI2cDevice = {
      write: () => {},
      read: (n) => new Uint8Array(n).fill(0x12),
      setInputs: () => {},
    };
    bus.attach(ADDRESS, other);
    const driver = definition.create({ bus, address: ADDRESS, timing: clock }, definition.options.parse({}));
    await expect(driver.init()).rejects.toMatchObject({
      reason: 'wrong-chip-id',
      message: expect.stringMatching(/i2c-1 0x48: expected an ADS1115 holding config 0x4383, found 0x1212/),
    });
  });
});

describe('ads1115 identify', () => {
  it('recognises a chip in its power-on state, reading only', async () => {
    const { bus, sim } = setup();
    const before = configOf(sim);
    expect(await definition.identify(bus, ADDRESS)).toBe(true);
    expect(configOf(sim)).toBe(before);
  });

  it('does not recognise a configured chip (the limit of the reset-value heuristic)', async () => {
    const { bus, driver } = setup();
    await driver.init();
    expect(await definition.identify(bus, ADDRESS)).toBe(false);
  });

  it('answers false for an empty address', async () => {
    expect(await definition.identify(new SimI2cBus(1), 0x49)).toBe(false);
  });
});

describe('ads1115 simulator', () => {
  it('starts with the reset values and exports SMBus words for i2c-stub', () => {
    const { sim } = setup();
    const words = sim.registerImage().words;
    expect([...words.entries()]).toEqual([
      [0, 0x0000],
      [1, 0x8385],
      [2, 0x0080],
      [3, 0xff7f],
    ]);
  });

  it('reads OS=0 while converting and keeps the conversion register read-only', async () => {
    const { clock, sim, bus } = setup();
    sim.setInputs({ ain0V: 1.024 });
    const single = encodeSingleShot({ mux: 'ain0', fullScaleV: 4.096, dataRate: 128 }, true);
    await writeRegister16(bus, ADDRESS, 1, single);
    expect((await readRegister16(bus, ADDRESS, 1)) & 0x8000).toBe(0);
    await writeRegister16(bus, ADDRESS, 0, 0x1234);
    await clock.sleep(8);
    expect((await readRegister16(bus, ADDRESS, 1)) & 0x8000).toBe(0x8000);
    expect(await readRegister16(bus, ADDRESS, 0)).toBe(0x2000);
  });

  it('converts continuously when MODE=0', async () => {
    const { clock, sim, bus } = setup();
    sim.setInputs({ ain1V: 0.512 });
    const continuous = encodeSingleShot({ mux: 'ain1', fullScaleV: 1.024, dataRate: 860 }, false) & ~0x0100;
    await writeRegister16(bus, ADDRESS, 1, continuous);
    await clock.sleep(2);
    expect(await readRegister16(bus, ADDRESS, 0)).toBe(0x4000);
    sim.setInputs({ ain1V: -0.512 });
    expect(await readRegister16(bus, ADDRESS, 0)).toBe(0xc000);
  });
});
