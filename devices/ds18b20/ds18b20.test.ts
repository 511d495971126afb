import { describe, expect, it } from 'vitest';
import {
  type BusErrorCode,
  busError,
  crc8Maxim,
  DeviceFault,
  type OneWireBus,
} from '../../src/device-kit/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { definition, options as optionsSchema } from './index.js';
import { buildScratchpad, decodeScratchpad, powerOnSuspicion, temperatureOf } from './scratchpad.js';
import type { Ds18b20Sim } from './sim.js';
import { interpretW1Slave, kernelMilliCelsius, parseW1Slave, renderW1Slave } from './w1-slave.js';

const EXAMPLE = '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n';

/** /sys/bus/w1/devices in memory: the sensors it lists are the ones attached. */
class MemoryOneWireBus implements OneWireBus {
  private readonly sensors = new Map<string, Ds18b20Sim>();
  private fault: BusErrorCode | undefined;

  attach(sim: Ds18b20Sim): void {
    this.sensors.set(sim.romId, sim);
  }

  /** The kernel dropped the slave: its directory, and so its w1_slave file, is gone. */
  remove(romId: string): void {
    this.sensors.delete(romId);
  }

  failNext(code: BusErrorCode): void {
    this.fault = code;
  }

  async listDevices(): Promise<string[]> {
    return [...this.sensors.keys()];
  }

  async readSlave(romId: string): Promise<string> {
    if (this.fault) {
      const code = this.fault;
      this.fault = undefined;
      throw busError(code, `${romId}/w1_slave: injected fault`);
    }
    const sensor = this.sensors.get(romId);
    if (!sensor) throw busError('ENOENT', `/sys/bus/w1/devices/${romId}/w1_slave: no such file or directory`);
    return sensor.renderW1Slave();
  }
}

function setup(romIds: string[] = ['28-0316a2791cff'], config: Record<string, unknown> = {}) {
  const clock = new ManualClock(0);
  const options = optionsSchema.parse(config);
  const bus = new MemoryOneWireBus();
  const sims = romIds.map((romId) => definition.simulator({ clock, romId, options }) as Ds18b20Sim);
  for (const sim of sims) bus.attach(sim);
  const drivers = romIds.map((romId) => definition.create({ bus, romId, timing: clock }, options));
  return { bus, sims, drivers, sim: sims[0]!, driver: drivers[0]! };
}

async function temperature(driver: ReturnType<typeof setup>['driver']) {
  const [reading] = await driver.read();
  return reading!;
}

/** The w1_slave text of a scratchpad that passed the kernel's CRC check. */
function textFor(raw: number, config = 0x7f, reserved6 = 0x10 - (raw & 0x0f)): string {
  const bytes = buildScratchpad({ raw, th: 0x4b, tl: 0x46, config, reserved6 });
  return renderW1Slave(bytes, bytes);
}

describe('ds18b20 w1_slave text', () => {
  it('parses the kernel format', () => {
    expect(parseW1Slave(EXAMPLE)).toEqual({
      scratchpad: [0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10, 0x57],
      kernelCrc: 0x57,
      crcOk: true,
      lastGood: [0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10, 0x57],
      milliCelsius: 23125,
    });
    expect(interpretW1Slave(EXAMPLE, undefined)).toMatchObject({
      ok: true,
      celsius: 23.125,
      resolutionBits: 12,
    });
  });

  it('renders exactly what the kernel prints', () => {
    const bytes = [0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10, 0x57];
    expect(renderW1Slave(bytes, bytes)).toBe(EXAMPLE);
  });

  it('computes t= as the kernel does: s16 × 1000 / 16, truncated toward zero', () => {
    expect(kernelMilliCelsius([0x91, 0x01])).toBe(25062);
    expect(kernelMilliCelsius([0x6f, 0xfe])).toBe(-25062);
  });

  it.each([
    [125, 0x07d0],
    [25.0625, 0x0191],
    [10.125, 0x00a2],
    [0.5, 0x0008],
    [0, 0x0000],
    [-0.5, 0xfff8],
    [-10.125, 0xff5e],
    [-25.0625, 0xfe6f],
    [-55, 0xfc90],
  ])('datasheet Table 1: %f °C is %i', (celsius, raw) => {
    expect(interpretW1Slave(textFor(raw), undefined)).toMatchObject({ ok: true, celsius });
  });

  it('datasheet Table 1: +85 °C (0550h) is the power-on value and needs a plausible neighbour', () => {
    expect(interpretW1Slave(textFor(0x0550), undefined)).toEqual({
      ok: false,
      error: '85 °C power-on value: conversion did not run',
    });
    expect(interpretW1Slave(textFor(0x0550), 84.25)).toMatchObject({ ok: true, celsius: 85 });
    expect(interpretW1Slave(textFor(0x0550), 86.5)).toMatchObject({ ok: true, celsius: 85 });
    expect(interpretW1Slave(textFor(0x0550), 82.9)).toMatchObject({ ok: false });
    expect(powerOnSuspicion(0x0551, undefined)).toBeNull();
  });

  it('ignores the undefined low bits below 12-bit resolution', () => {
    // 0197h = 25.4375 °C at 12 bits.
    expect(temperatureOf(0x0197, 12)).toBe(25.4375);
    expect(temperatureOf(0x0197, 11)).toBe(25.375);
    expect(temperatureOf(0x0197, 10)).toBe(25.25);
    expect(temperatureOf(0x0197, 9)).toBe(25);
    expect(temperatureOf(-162, 9)).toBe(-10.5);
    expect(interpretW1Slave(textFor(0x0197, 0x1f), undefined)).toMatchObject({
      celsius: 25,
      resolutionBits: 9,
    });
  });

  it('rejects a kernel CRC failure, an empty file and text it does not understand', () => {
    const no = EXAMPLE.replace('crc=57 YES', 'crc=14 NO').replace(/^72/, '73');
    expect(interpretW1Slave(no, undefined)).toMatchObject({
      ok: false,
      error: expect.stringContaining('NO'),
    });
    expect(interpretW1Slave('', undefined)).toMatchObject({
      ok: false,
      error: expect.stringContaining('empty'),
    });
    expect(interpretW1Slave('hello\n', undefined)).toMatchObject({
      ok: false,
      error: expect.stringContaining('not understood'),
    });
  });

  it('rechecks the CRC itself even when the kernel said YES', () => {
    const lying = EXAMPLE.replace('0e 10 57 :', '0e 10 58 :');
    expect(interpretW1Slave(lying, undefined)).toMatchObject({
      ok: false,
      error: expect.stringContaining('CRC'),
    });
  });

  it('rejects the all-zero scratchpad of a data line held low, whose CRC passes', () => {
    const zeros = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(crc8Maxim(zeros.slice(0, 8))).toBe(0);
    expect(decodeScratchpad(zeros)).toMatchObject({ ok: false, error: expect.stringContaining('held low') });
    expect(interpretW1Slave(renderW1Slave(zeros, zeros), undefined)).toMatchObject({ ok: false });
  });

  it('rejects a t= that disagrees with the scratchpad', () => {
    const text = EXAMPLE.replace('t=23125', 't=24125');
    expect(interpretW1Slave(text, undefined)).toMatchObject({
      ok: false,
      error: expect.stringContaining('t=24125'),
    });
  });

  it('rejects register values outside −55…125 °C', () => {
    expect(interpretW1Slave(textFor(0x07ff), undefined)).toMatchObject({
      ok: false,
      error: expect.stringContaining('range'),
    });
  });
});

describe('ds18b20 options', () => {
  it('defaults to 12 bits and accepts only 9…12', () => {
    expect(optionsSchema.parse({})).toEqual({ resolutionBits: 12 });
    expect(() => optionsSchema.parse({ resolutionBits: 8 })).toThrow();
    expect(() => optionsSchema.parse({ resolution: 9 })).toThrow();
  });
});

describe('ds18b20 driver on the simulator', () => {
  it('measures the whole range −55…125 °C at 12 bits', async () => {
    const { sim, driver } = setup();
    await driver.init();
    for (let t = -55; t <= 125; t += 0.4375) {
      sim.setInputs({ temperatureC: t });
      const reading = await temperature(driver);
      expect(reading.quality, `${t} °C`).toBe('good');
      expect(Math.abs(reading.value! - t)).toBeLessThanOrEqual(1 / 32);
    }
  });

  it.each([9, 10, 11] as const)('reads within one step at %i bits', async (bits) => {
    const { sim, driver } = setup(undefined, { resolutionBits: bits });
    await driver.init();
    const step = 2 ** (12 - bits) / 16;
    for (let t = -55; t <= 125; t += 1.3) {
      sim.setInputs({ temperatureC: t });
      const reading = await temperature(driver);
      expect(reading.value! - t).toBeLessThanOrEqual(1 / 32);
      expect(t - reading.value!).toBeLessThan(step + 1 / 32);
    }
  });

  it('clamps inputs beyond the chip range to −55 and 125 °C', async () => {
    const { sim, driver } = setup();
    sim.setInputs({ temperatureC: 140 });
    expect((await temperature(driver)).value).toBe(125);
    sim.setInputs({ temperatureC: -70 });
    expect((await temperature(driver)).value).toBe(-55);
  });

  it('reads several sensors on one bus, each by its ROM id', async () => {
    const { sims, drivers } = setup(['28-000000000001', '28-000000000002', '28-0316a2791cff']);
    sims.forEach((sim, i) => {
      sim.setInputs({ temperatureC: 10 * (i + 1) });
    });
    for (const driver of drivers) await driver.init();
    const values = await Promise.all(drivers.map(async (d) => (await temperature(d)).value));
    expect(values).toEqual([10, 20, 30]);
  });

  it('kernel CRC NO gives a bad sample, and the next good read recovers', async () => {
    const { sim, driver } = setup();
    sim.setInputs({ temperatureC: 23.125 });
    expect((await temperature(driver)).value).toBe(23.125);
    sim.failCrc(true);
    const text = sim.renderW1Slave();
    expect(text).toMatch(/ crc=[0-9a-f]{2} NO\n/);
    expect(text.split('\n')[1]).toBe('72 01 4b 46 7f ff 0e 10 57 t=23187');
    const bad = await temperature(driver);
    expect(bad).toMatchObject({ value: null, quality: 'bad', error: expect.stringContaining('CRC') });
    expect(bad.error).toContain('28-0316a2791cff');
    sim.failCrc(false);
    expect((await temperature(driver)).value).toBe(23.125);
  });

  it('85 °C power-on value: bad without a plausible neighbour', async () => {
    const { sim, driver } = setup();
    await driver.init();
    sim.setInputs({ temperatureC: 22 });
    sim.powerOnReset();
    expect(await temperature(driver)).toMatchObject({
      value: null,
      quality: 'bad',
      error: expect.stringContaining('85 °C power-on value: conversion did not run'),
    });
    expect((await temperature(driver)).value).toBe(22);
    sim.powerOnReset();
    expect((await temperature(driver)).value).toBeNull();
  });

  it('85 °C: good when the previous sample was good and within 2 °C', async () => {
    const { sim, driver } = setup();
    sim.setInputs({ temperatureC: 84.5 });
    expect((await temperature(driver)).value).toBe(84.5);
    sim.setInputs({ temperatureC: 85 });
    expect((await temperature(driver)).value).toBe(85);
    expect((await temperature(driver)).value).toBe(85);
    // A failure in between breaks the chain: the next 85 must stand on its own again.
    sim.failCrc(true);
    await temperature(driver);
    sim.failCrc(false);
    expect((await temperature(driver)).value).toBeNull();
  });

  it('the power-on scratchpad carries the genuine-chip marker 0Ch in byte 6', () => {
    const { sim } = setup();
    sim.powerOnReset();
    expect(sim.renderW1Slave()).toBe(
      '50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n',
    );
  });

  it('init fails naming the missing ROM id and listing what was found', async () => {
    const { bus } = setup(['28-000000000001', '28-000000000002']);
    const driver = definition.create(
      { bus, romId: '28-00000000000f', timing: new ManualClock() },
      optionsSchema.parse({}),
    );
    await expect(driver.init()).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(
        '28-00000000000f not found; the bus lists 28-000000000001, 28-000000000002',
      ),
    });
  });

  it('init rejects a ROM id of another family', async () => {
    const { bus } = setup();
    const driver = definition.create(
      { bus, romId: '10-000802b4a1c3', timing: new ManualClock() },
      { resolutionBits: 12 },
    );
    const error = await driver.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect((error as DeviceFault).reason).toBe('config');
  });

  it('an unplugged sensor fails with ENOENT from the bus, and comes back when replugged', async () => {
    const { bus, sim, driver } = setup();
    await driver.init();
    bus.remove(sim.romId);
    await expect(driver.read()).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(driver.init()).rejects.toThrow(/bus lists no devices/);
    bus.attach(sim);
    await driver.init();
    expect((await temperature(driver)).quality).toBe('good');
  });

  it('passes EIO from the bus through', async () => {
    const { bus, driver } = setup();
    bus.failNext('EIO');
    await expect(driver.read()).rejects.toMatchObject({ code: 'EIO' });
    expect((await temperature(driver)).quality).toBe('good');
  });

  it('has one channel, temperature in Cel', () => {
    expect(definition.channels(optionsSchema.parse({}))).toEqual([
      expect.objectContaining({ id: 'temperature', unit: 'Cel' }),
    ]);
    expect(definition.familyCode).toBe('28');
  });
});
