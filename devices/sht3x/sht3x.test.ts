import { describe, expect, it } from 'vitest';
import { crc8Sensirion, DeviceFault, type SimI2cDevice } from '../../src/device-kit/index.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { i2cRig, readChannels } from '../../test/support/device-harness.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { definition, options as optionsSchema } from './index.js';
import {
  CLEAR_STATUS,
  encodeWord,
  HEATER_ON,
  humidityFromRaw,
  MEASUREMENT_MAX_MS,
  READ_STATUS,
  rawFromHumidity,
  rawFromTemperature,
  SOFT_RESET,
  STATUS,
  temperatureFromRaw,
} from './protocol.js';
import { Sht3xSim } from './sim.js';

const ADDRESS = 0x44;

const setup = (options: Record<string, unknown> = {}) => i2cRig<Sht3xSim>(definition, { options });

async function faultOf(promise: Promise<unknown>): Promise<DeviceFault> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeviceFault);
  return error as DeviceFault;
}

describe('sht3x datasheet vectors', () => {
  it('CRC-8 of 0xBEEF is 0x92 (§4.12, Table 20)', () => {
    expect(crc8Sensirion([0xbe, 0xef])).toBe(0x92);
    expect(encodeWord(0xbeef)).toEqual([0xbe, 0xef, 0x92]);
  });

  it('converts raw values with §4.13', () => {
    expect(temperatureFromRaw(0)).toBe(-45);
    expect(temperatureFromRaw(0xffff)).toBe(130);
    expect(temperatureFromRaw(0x6666)).toBe(25);
    expect(humidityFromRaw(0)).toBe(0);
    expect(humidityFromRaw(0xffff)).toBe(100);
    expect(humidityFromRaw(0x6666)).toBe(40);
  });

  it('round-trips every raw value the simulator can produce', () => {
    for (let raw = 0; raw <= 0xffff; raw += 97) {
      expect(rawFromTemperature(temperatureFromRaw(raw))).toBe(raw);
      expect(rawFromHumidity(humidityFromRaw(raw))).toBe(raw);
    }
  });
});

describe('sht3x options', () => {
  it('defaults to high repeatability without heater and rejects unknown keys', () => {
    expect(optionsSchema.parse({})).toEqual({ repeatability: 'high', heater: false });
    expect(() => optionsSchema.parse({ repeatabilty: 'low' })).toThrow();
    expect(() => optionsSchema.parse({ repeatability: 'ultra' })).toThrow();
  });
});

describe('sht3x driver on the simulator', () => {
  it('init resets, checks and clears the status register', async () => {
    const { sim, driver, clock } = setup();
    await driver.init();
    expect(sim.commands).toEqual([SOFT_RESET, READ_STATUS, CLEAR_STATUS]);
    expect(sim.statusRegister & STATUS.clearable).toBe(0);
    expect(sim.heaterOn).toBe(false);
    expect(clock.t).toBeGreaterThanOrEqual(1.5 + 1 + 1);
  });

  it('switches the heater on when asked and checks it took', async () => {
    const { sim, driver } = setup({ heater: true });
    await driver.init();
    expect(sim.commands).toContain(HEATER_ON);
    expect(sim.heaterOn).toBe(true);
  });

  it('measures over the whole range: -40..125 °C, 0..100 %RH', async () => {
    const { sim, driver } = setup();
    await driver.init();
    for (let t = -40; t <= 125; t += 5) {
      for (let rh = 0; rh <= 100; rh += 12.5) {
        sim.setInputs({ temperatureC: t, humidityPct: rh });
        const values = readChannels(await driver.read());
        // Half a raw step of §4.13: 175/65535/2 °C and 100/65535/2 %RH.
        expect(Math.abs(values.temperature! - t)).toBeLessThanOrEqual(0.0014);
        expect(Math.abs(values.humidity! - rh)).toBeLessThanOrEqual(0.0008);
      }
    }
  });

  it.each([
    ['high', 0x2400],
    ['medium', 0x240b],
    ['low', 0x2416],
  ] as const)('%s repeatability sends %i and waits the datasheet maximum', async (repeatability, command) => {
    const { sim, driver, clock } = setup({ repeatability });
    await driver.init();
    const before = clock.t;
    await driver.read();
    expect(sim.commands.at(-1)).toBe(command);
    expect(clock.t - before).toBe(MEASUREMENT_MAX_MS[repeatability]);
  });

  it('reports each channel with its unit', () => {
    expect(definition.channels(optionsSchema.parse({}))).toEqual([
      expect.objectContaining({ id: 'temperature', unit: 'Cel' }),
      expect.objectContaining({ id: 'humidity', unit: '%' }),
    ]);
  });
});

describe('sht3x faults', () => {
  it.each([
    [0, 'temperature'],
    [1, 'humidity'],
  ] as const)('a CRC mismatch on word %i throws naming the %s word, never a value', async (word, name) => {
    const { sim, driver } = setup();
    await driver.init();
    sim.corruptNextCrc(word);
    const fault = await faultOf(driver.read());
    expect(fault.reason).toBe('crc');
    expect(fault.message).toContain(`${name} word`);
    expect(fault.message).toContain('i2c-1 0x44');
    // The next measurement is clean again.
    expect((await driver.read()).every((r) => r.quality === 'good')).toBe(true);
  });

  it('a CRC mismatch on the status word fails init', async () => {
    const { sim, driver } = setup();
    sim.corruptNextCrc(0);
    const fault = await faultOf(driver.init());
    expect(fault.reason).toBe('crc');
    expect(fault.message).toContain('status word');
  });

  it('the chip NACKs a read while measuring (§4.4)', () => {
    const clock = new ManualClock(0);
    const sim = new Sht3xSim(clock, ADDRESS);
    sim.write(Uint8Array.of(0x24, 0x00));
    clock.t = 5;
    expect(() => sim.read(6)).toThrow(expect.objectContaining({ code: 'EREMOTEIO' }));
    expect(() => sim.write(Uint8Array.of(0xf3, 0x2d))).toThrow(/measuring/);
    clock.t = 12.5;
    expect(sim.read(6)).toHaveLength(6);
    // The data is read once; after that there is nothing to read.
    expect(() => sim.read(6)).toThrow(expect.objectContaining({ code: 'EREMOTEIO' }));
  });

  it('retries a read NACKed by a chip slower than its datasheet', async () => {
    const { sim, driver, clock } = setup();
    await driver.init();
    sim.slowBy(5); // 12.5 + 5 ms: ready after the 15 ms wait plus two 2 ms retries
    sim.setInputs({ temperatureC: 21.5, humidityPct: 33 });
    const before = clock.t;
    const values = readChannels(await driver.read());
    expect(values.temperature).toBeCloseTo(21.5, 2);
    expect(clock.t - before).toBe(15 + 2 + 2);
  });

  it('gives up after a bounded number of NACKed reads', async () => {
    const { sim, driver, clock } = setup();
    await driver.init();
    sim.slowBy(1000);
    const before = clock.t;
    const fault = await faultOf(driver.read());
    expect(fault.reason).toBe('not-ready');
    expect(fault.message).toContain('NACK');
    expect(clock.t - before).toBeLessThan(30);
  });

  it('passes EIO from the bus through, then recovers', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.failNext(ADDRESS, 'EIO');
    await expect(driver.read()).rejects.toMatchObject({ code: 'EIO' });
    await expect(driver.read()).resolves.toHaveLength(2);
  });

  it('an unplugged chip fails with EREMOTEIO, and reads again once replugged', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.unplug(ADDRESS);
    await expect(driver.read()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    await expect(driver.init()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    bus.replug(ADDRESS);
    await driver.init();
    await expect(driver.read()).resolves.toHaveLength(2);
  });

  it('rejects a status reply with reserved bits set (not an SHT3x)', async () => {
    const { sim, driver } = setup();
    sim.replyNext(encodeWord(0x8010 | 0x4000));
    const fault = await faultOf(driver.init());
    expect(fault.reason).toBe('wrong-chip-id');
    expect(fault.message).toContain('found 0xc010');
  });

  it('rejects a status that does not show the soft reset just sent', async () => {
    const { sim, driver } = setup();
    sim.replyNext(encodeWord(0x0000));
    const fault = await faultOf(driver.init());
    expect(fault.reason).toBe('wrong-chip-id');
    expect(fault.message).toContain('bit 4');
  });

  it('rejects a wrong measurement reply by its CRC', async () => {
    const { sim, driver } = setup();
    await driver.init();
    sim.replyNext([0x66, 0x66, 0x93, 0x00, 0x00, 0x00]);
    const fault = await faultOf(driver.read());
    expect(fault.message).toContain('humidity word 0x0000');
  });

  it('NACKs unknown and clock-stretching commands and flags them in the status register', () => {
    const sim = new Sht3xSim(new ManualClock(0), ADDRESS);
    expect(() => sim.write(Uint8Array.of(0x2c, 0x06))).toThrow(
      expect.objectContaining({ code: 'EREMOTEIO' }),
    );
    expect(sim.statusRegister & STATUS.commandFailed).toBe(STATUS.commandFailed);
    expect(() => sim.write(Uint8Array.of(0x12, 0x34))).toThrow(/0x1234/);
  });
});

describe('sht3x identify', () => {
  it('recognises the simulated chip and reads nothing it should not', async () => {
    const { bus, sim } = setup();
    expect(await definition.identify(bus, ADDRESS)).toBe(true);
    expect(sim.commands).toEqual([READ_STATUS]);
  });

  it('says no for an empty address and for chips that do not answer like an SHT3x', async () => {
    const bus = new SimI2cBus(1);
    expect(await definition.identify(bus, 0x45)).toBe(false);
    const answering = (bytes: number[]): SimI2cDevice => ({
      write: () => {},
      read: (length) => Uint8Array.from(bytes).subarray(0, length),
      setInputs: () => {},
    });
    bus.attach(0x44, answering([0x00, 0x00, 0x00]));
    expect(await definition.identify(bus, 0x44)).toBe(false);
    bus.attach(0x45, answering([0xff, 0xff, 0xff]));
    expect(await definition.identify(bus, 0x45)).toBe(false);
  });
});

describe('sht3x simulator dump', () => {
  it('answers the frozen measurement bytes', async () => {
    const { sim, driver } = setup();
    sim.loadDump({ measurement: '666693 666693' });
    await driver.init();
    expect(readChannels(await driver.read())).toEqual({ temperature: 25, humidity: 40 });
  });

  it('refuses unknown keys and wrong lengths', () => {
    const sim = new Sht3xSim(new ManualClock(0), ADDRESS);
    expect(() => sim.loadDump({ '0x00': '00' })).toThrow(/allowed keys: measurement/);
    expect(() => sim.loadDump({ measurement: '6666' })).toThrow(/6 bytes/);
  });
});
