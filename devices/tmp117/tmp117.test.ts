import { describe, expect, it, vi } from 'vitest';
import { DeviceFault, readRegister16, writeRegister16 } from '../../src/device-kit/index.js';
import { i2cRig, readChannels } from '../../test/support/device-harness.js';
import { ACTIVE_MS, AVERAGES, CYCLES_MS, cycleMs } from './conversion-timing.js';
import { identifyTmp117 } from './driver.js';
import { definition, options as optionsSchema } from './index.js';
import {
  Config,
  decodeConfiguration,
  decodeTemperature,
  encodeConfiguration,
  encodeTemperature,
  LSB_C,
  Register,
} from './registers.js';
import type { Tmp117Sim } from './sim.js';

const ADDRESS = 0x48;

const setup = (options: Record<string, unknown> = {}) =>
  i2cRig<Tmp117Sim>(definition, { options, startMs: 1000, inputs: { temperatureC: 25 } });

describe('tmp117 codecs', () => {
  // SNOSD82D Table 7-1.
  const table71: Array<[number, number]> = [
    [0x8000, -256],
    [0xf380, -25],
    [0xfff0, -0.125],
    [0xffff, -0.0078125],
    [0x0000, 0],
    [0x0001, 0.0078125],
    [0x0010, 0.125],
    [0x0080, 1],
    [0x0c80, 25],
    [0x3200, 100],
    [0x7fff, 255.9921875],
  ];

  it.each(table71)('decodes Table 7-1 word %s', (word, celsius) => {
    expect(decodeTemperature(word)).toBe(celsius);
    expect(encodeTemperature(celsius)).toBe(word);
  });

  it('rounds to the nearest LSB and saturates at the register range', () => {
    expect(encodeTemperature(25.004)).toBe(0x0c81);
    expect(encodeTemperature(25.0039)).toBe(0x0c80);
    expect(encodeTemperature(300)).toBe(0x7fff);
    expect(encodeTemperature(-300)).toBe(0x8000);
  });

  it('decodes the factory configuration 0x0220: continuous, 1 s cycle, 8 averages', () => {
    expect(decodeConfiguration(Config.reset)).toMatchObject({
      mode: 'continuous',
      cycleCode: 0b100,
      averagingCode: 0b01,
      therm: false,
      dataReady: false,
    });
  });

  it('encodes MOD, CONV, AVG and T/nA into their fields', () => {
    expect(encodeConfiguration({ mode: 'one-shot', cycleCode: 4, averagingCode: 1, therm: false })).toBe(
      0x0e20,
    );
    expect(encodeConfiguration({ mode: 'shutdown', cycleCode: 0, averagingCode: 3, therm: true })).toBe(
      0x0470,
    );
    expect(decodeConfiguration(0xe000)).toMatchObject({ highAlert: true, lowAlert: true, dataReady: true });
  });

  it('follows Table 7-7 for every CONV and AVG', () => {
    const table77 = [
      [15.5, 125, 500, 1000],
      [125, 125, 500, 1000],
      [250, 250, 500, 1000],
      [500, 500, 500, 1000],
      [1000, 1000, 1000, 1000],
      [4000, 4000, 4000, 4000],
      [8000, 8000, 8000, 8000],
      [16000, 16000, 16000, 16000],
    ];
    table77.forEach((row, conv) => {
      row.forEach((ms, avg) => {
        expect(cycleMs(conv, avg), `CONV ${conv} AVG ${avg}`).toBe(ms);
      });
    });
    expect(ACTIVE_MS).toEqual(table77[0]);
    expect(CYCLES_MS.length).toBe(8);
    expect(AVERAGES).toEqual([1, 8, 32, 64]);
  });
});

describe('tmp117 options', () => {
  it('defaults to one-shot, 8 averages, 1 s cycle, alert mode, no window', () => {
    expect(optionsSchema.parse({})).toEqual({
      conversionMode: 'one-shot',
      averaging: 8,
      conversionCycleMs: 1000,
      alertMode: 'alert',
    });
  });

  it('rejects unknown keys, unknown averaging and an inverted window', () => {
    expect(optionsSchema.safeParse({ averge: 8 }).success).toBe(false);
    expect(optionsSchema.safeParse({ averaging: 16 }).success).toBe(false);
    expect(optionsSchema.safeParse({ alert: { lowC: 30, highC: 20 } }).success).toBe(false);
    expect(optionsSchema.safeParse({ alert: { lowC: -300, highC: 20 } }).success).toBe(false);
  });

  it('declares its addresses and channels', () => {
    expect(definition.addresses).toEqual([0x48, 0x49, 0x4a, 0x4b]);
    expect(definition.channels({}).map((c) => [c.id, c.unit])).toEqual([
      ['temperature', 'Cel'],
      ['alert', '1'],
    ]);
  });
});

describe('tmp117 driver on its simulator', () => {
  it('reads the whole -55…150 °C range, negative values included, to the nearest 7.8125 m°C', async () => {
    const { sim, driver } = setup();
    await driver.init();
    for (let t = -55; t <= 150; t += 0.37) {
      sim.setInputs({ temperatureC: t });
      const { temperature } = readChannels(await driver.read());
      expect(temperature).toBe(Math.round(t / LSB_C) * LSB_C);
    }
  });

  it('reports the range ends and clamps beyond them', async () => {
    const { sim, driver } = setup();
    await driver.init();
    const cases: Array<[number, number]> = [
      [-55, -55],
      [150, 150],
      [-80, -55],
      [200, 150],
      [-0.004, -0.0078125],
    ];
    for (const [input, expected] of cases) {
      sim.setInputs({ temperatureC: input });
      expect(readChannels(await driver.read()).temperature).toBe(expected);
    }
  });

  it.each([
    [1, 15.5],
    [8, 125],
    [32, 500],
    [64, 1000],
  ])('one-shot with %i averages takes %s ms and three transfers', async (averaging, ms) => {
    const { clock, bus, driver } = setup({ averaging });
    await driver.init();
    const before = { t: clock.t, n: bus.transfers.get(ADDRESS)! };
    await driver.read();
    expect(clock.t - before.t).toBe(ms);
    expect(bus.transfers.get(ADDRESS)! - before.n).toBe(3);
    expect(decodeConfiguration(await readRegister16(bus, ADDRESS, Register.configuration)).mode).toBe(
      'shutdown',
    );
  });

  it('uses SMBus word transfers only', async () => {
    const { bus, driver } = setup({ alert: { lowC: 0, highC: 40 } });
    const block = vi.spyOn(bus, 'readI2cBlock');
    const blockWrite = vi.spyOn(bus, 'writeI2cBlock');
    await driver.init();
    await driver.read();
    expect(block).not.toHaveBeenCalled();
    expect(blockWrite).not.toHaveBeenCalled();
  });

  it('writes the alert window to THigh and TLow', async () => {
    const { bus, driver } = setup({ alert: { lowC: -10.5, highC: 37.25 } });
    await driver.init();
    expect(await readRegister16(bus, ADDRESS, Register.highLimit)).toBe(encodeTemperature(37.25));
    expect(await readRegister16(bus, ADDRESS, Register.lowLimit)).toBe(encodeTemperature(-10.5));
  });

  it('opens the window fully when no alert is configured', async () => {
    const { sim, bus, driver } = setup();
    await driver.init();
    expect(await readRegister16(bus, ADDRESS, Register.highLimit)).toBe(0x7fff);
    expect(await readRegister16(bus, ADDRESS, Register.lowLimit)).toBe(0x8000);
    for (const t of [-55, 150]) {
      sim.setInputs({ temperatureC: t });
      expect(readChannels(await driver.read()).alert).toBe(0);
    }
  });

  it('alert mode: flags outside the window, cleared by the read that reports them', async () => {
    const { sim, driver } = setup({ alert: { lowC: 10, highC: 30 } });
    await driver.init();
    const steps: Array<[number, 0 | 1]> = [
      [25, 0],
      [30, 0],
      [30.0078125, 1],
      [25, 0],
      [9.9921875, 1],
      [10, 0],
      [-40, 1],
      [20, 0],
    ];
    for (const [t, alert] of steps) {
      sim.setInputs({ temperatureC: t });
      expect(readChannels(await driver.read()), `${t} °C`).toEqual({ temperature: t, alert });
    }
  });

  it('therm mode: set above highC, held down to lowC', async () => {
    const { sim, driver } = setup({ alertMode: 'therm', alert: { lowC: 28, highC: 30 } });
    await driver.init();
    const steps: Array<[number, 0 | 1]> = [
      [25, 0],
      [31, 1],
      [29, 1],
      [29, 1],
      [27, 0],
      [29, 0],
    ];
    for (const [t, alert] of steps) {
      sim.setInputs({ temperatureC: t });
      expect(readChannels(await driver.read()).alert, `${t} °C`).toBe(alert);
    }
  });

  it('continuous: waits for a first conversion, then reads the latest one without waiting', async () => {
    const { clock, bus, sim, driver } = setup({
      conversionMode: 'continuous',
      conversionCycleMs: 250,
      averaging: 8,
      alert: { lowC: 0, highC: 30 },
    });
    const start = clock.t;
    await driver.init();
    expect(clock.t - start).toBe(125);
    expect(decodeConfiguration(await readRegister16(bus, ADDRESS, Register.configuration)).mode).toBe(
      'continuous',
    );

    sim.setInputs({ temperatureC: 35 });
    const n = bus.transfers.get(ADDRESS)!;
    expect(readChannels(await driver.read())).toEqual({ temperature: 25, alert: 0 });
    expect(bus.transfers.get(ADDRESS)! - n).toBe(2);

    clock.t += 250;
    expect(readChannels(await driver.read())).toEqual({ temperature: 35, alert: 1 });
    // No conversion since: the same result, and the alert of that conversion holds.
    expect(readChannels(await driver.read())).toEqual({ temperature: 35, alert: 1 });
    sim.setInputs({ temperatureC: 20 });
    clock.t += 250;
    expect(readChannels(await driver.read())).toEqual({ temperature: 20, alert: 0 });
  });

  it('clears flags left by a failed cycle before the next one-shot', async () => {
    const { clock, sim, driver } = setup({ alert: { lowC: 0, highC: 30 } });
    await driver.init();
    sim.setInputs({ temperatureC: 35 });
    sim.stickConversion(true);
    await expect(driver.read()).rejects.toThrow(DeviceFault);
    sim.stickConversion(false);
    clock.t += 500;
    sim.setInputs({ temperatureC: 25 });
    expect(readChannels(await driver.read())).toEqual({ temperature: 25, alert: 0 });
  });

  it('applies the temperature offset register to results', async () => {
    const { bus, sim, driver } = setup();
    await driver.init();
    await writeRegister16(bus, ADDRESS, Register.temperatureOffset, encodeTemperature(-0.5));
    sim.setInputs({ temperatureC: 20 });
    expect(readChannels(await driver.read()).temperature).toBe(19.5);
  });
});

describe('tmp117 faults', () => {
  it('rejects another device id, naming bus, address, expected and found', async () => {
    const { sim, driver } = setup();
    sim.setDeviceId(0x0116);
    const error = await driver.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect((error as DeviceFault).reason).toBe('wrong-chip-id');
    expect((error as Error).message).toMatch(/i2c-1.*0x48.*0x117.*0x116/);
  });

  it('ignores the revision bits of Device_ID', async () => {
    const { sim, driver } = setup();
    sim.setDeviceId(0x1117);
    await expect(driver.init()).resolves.toBeUndefined();
  });

  it('passes a NACK through, and reads again once the chip is back', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.unplug(ADDRESS);
    await expect(driver.read()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    bus.replug(ADDRESS);
    expect(readChannels(await driver.read()).temperature).toBe(25);
  });

  it('passes EIO through', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.failNext(ADDRESS, 'EIO');
    await expect(driver.read()).rejects.toMatchObject({ code: 'EIO' });
    expect(readChannels(await driver.read()).temperature).toBe(25);
  });

  it('gives up on a conversion that never ends after a bounded wait', async () => {
    const { clock, sim, driver } = setup();
    await driver.init();
    sim.stickConversion(true);
    const start = clock.t;
    const error = await driver.read().catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'not-ready' });
    expect(clock.t - start).toBeLessThanOrEqual(2 * 125 + 13);
  });

  it('fails init in continuous mode when no conversion ends', async () => {
    const { sim, driver } = setup({ conversionMode: 'continuous' });
    sim.stickConversion(true);
    await expect(driver.init()).rejects.toMatchObject({ reason: 'not-ready' });
  });
});

describe('tmp117 identify', () => {
  it('answers true for a TMP117, reading only Device_ID', async () => {
    const { bus, sim } = i2cRig<Tmp117Sim>(definition, { address: 0x49 });
    const writes = vi.spyOn(sim, 'write');
    expect(await identifyTmp117(bus, 0x49)).toBe(true);
    expect(writes.mock.calls.map(([data]) => [...data])).toEqual([[Register.deviceId]]);
  });

  it('answers false for another id and for an empty address', async () => {
    const { bus, sim } = i2cRig<Tmp117Sim>(definition, { address: 0x4a });
    sim.setDeviceId(0x0116);
    expect(await identifyTmp117(bus, 0x4a)).toBe(false);
    expect(await identifyTmp117(bus, 0x4b)).toBe(false);
  });
});
