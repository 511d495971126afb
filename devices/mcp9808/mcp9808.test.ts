import { describe, expect, it, vi } from 'vitest';
import { DeviceFault, readRegister16, writeRegister16 } from '../../src/device-kit/index.js';
import { i2cRig, readChannels } from '../../test/support/device-harness.js';
import { identifyMcp9808, limitWords } from './driver.js';
import { definition, options as optionsSchema } from './index.js';
import { Config, decodeAmbient, decodeLimit, encodeLimit, Register } from './registers.js';
import type { Mcp9808Sim } from './sim.js';

const ADDRESS = 0x18;

const setup = (options: Record<string, unknown> = {}) =>
  i2cRig<Mcp9808Sim>(definition, { options, startMs: 1000, inputs: { temperatureC: 25 } });

/**
 * DS25095 §5.1.3.1 Example 5-1, transcribed: mask the flags, then combine the bytes.
 * For negative values it prints `256 - (…)`; `signed` applies the two's complement the
 * same section's text describes instead.
 */
function example51(upperByte: number, lowerByte: number, signed: boolean): number {
  let upper = upperByte & 0x1f;
  if ((upper & 0x10) === 0x10) {
    upper &= 0x0f;
    return signed ? upper * 16 + lowerByte / 16 - 256 : 256 - (upper * 16 + lowerByte / 16);
  }
  return upper * 16 + lowerByte / 16;
}

describe('mcp9808 codecs', () => {
  it('decodes the §5.1.3.1 example: flags from bits 15:13, temperature from the rest', () => {
    expect(decodeAmbient(0xc194)).toEqual({
      temperatureC: 25.25,
      atOrAboveCritical: true,
      aboveUpper: true,
      belowLower: false,
    });
    expect(example51(0xc1, 0x94, false)).toBe(25.25);
  });

  it('decodes negative values as two’s complement, where Example 5-1 as printed loses the sign', () => {
    expect(decodeAmbient(0x1e70).temperatureC).toBe(-25);
    expect(example51(0x1e, 0x70, false)).toBe(25);
    expect(decodeAmbient(0x1fff).temperatureC).toBe(-0.0625);
    expect(decodeAmbient(0x3fff)).toMatchObject({ temperatureC: -0.0625, belowLower: true });
  });

  it('agrees with Example 5-1 (sign corrected) on every 13-bit code, whatever the flags', () => {
    for (let code = 0; code < 0x2000; code++) {
      const word = code | ((code % 8) << 13);
      expect(decodeAmbient(word).temperatureC).toBe(example51(word >> 8, word & 0xff, true));
    }
  });

  it('encodes limits as §5.1.2: 11-bit two’s complement in bits 12:2', () => {
    const cases: Array<[number, number]> = [
      [25, 0x0190],
      [0.25, 0x0004],
      [-0.25, 0x1ffc],
      [-10.25, 0x1f5c],
      [255.75, 0x0ffc],
      [-256, 0x1000],
    ];
    for (const [celsius, word] of cases) {
      expect(encodeLimit(celsius), `${celsius} °C`).toBe(word);
      expect(decodeLimit(word)).toBe(celsius);
    }
    expect(() => encodeLimit(25.1)).toThrow(RangeError);
    expect(() => encodeLimit(256)).toThrow(RangeError);
  });

  it('opens the limits fully when no alert is configured', () => {
    expect(limitWords(undefined)).toEqual([
      [Register.upperLimit, 0x0ffc],
      [Register.lowerLimit, 0x1000],
      [Register.criticalLimit, 0x0ffc],
    ]);
  });
});

describe('mcp9808 options', () => {
  it('defaults to 0.0625 °C and no limits', () => {
    expect(optionsSchema.parse({})).toEqual({ resolution: 0.0625 });
  });

  it('refuses limits off the 0.25 °C grid, an inverted window, other resolutions and unknown keys', () => {
    expect(optionsSchema.safeParse({ alert: { lowC: 0, highC: 30.1 } }).success).toBe(false);
    expect(optionsSchema.safeParse({ alert: { lowC: 30, highC: 10 } }).success).toBe(false);
    expect(optionsSchema.safeParse({ resolution: 0.1 }).success).toBe(false);
    expect(optionsSchema.safeParse({ resolutoin: 0.5 }).success).toBe(false);
    expect(optionsSchema.safeParse({ alert: { lowC: -40.25, highC: 85.5, criticalC: 100 } }).success).toBe(
      true,
    );
  });

  it('declares its addresses and channels', () => {
    expect(definition.addresses).toEqual([0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f]);
    expect(definition.channels({}).map((c) => [c.id, c.unit])).toEqual([
      ['temperature', 'Cel'],
      ['alert', '1'],
    ]);
  });
});

describe('mcp9808 driver on its simulator', () => {
  it('reads the whole -40…125 °C range, negative values included, to the nearest 0.0625 °C', async () => {
    const { clock, sim, driver } = setup();
    await driver.init();
    for (let t = -40; t <= 125; t += 0.23) {
      sim.setInputs({ temperatureC: t });
      clock.t += 250;
      expect(readChannels(await driver.read()).temperature).toBe(Math.round(t * 16) / 16);
    }
  });

  it.each([
    [0.5, 30],
    [0.25, 65],
    [0.125, 130],
    [0.0625, 250],
  ])(
    'at %s °C resolution, converts every %i ms and quantises to the resolution',
    async (resolution, tconv) => {
      const { clock, sim, driver } = setup({ resolution });
      await driver.init();
      /** Milliseconds from an input change until TA shows it, read every millisecond. */
      const msUntilSeen = async (t: number) => {
        sim.setInputs({ temperatureC: t });
        const start = clock.t;
        const before = readChannels(await driver.read()).temperature;
        while (readChannels(await driver.read()).temperature === before && clock.t - start < 1000)
          clock.t += 1;
        return clock.t - start;
      };
      await msUntilSeen(30);
      expect(await msUntilSeen(20)).toBe(tconv);
      for (const t of [-39.9, -12.3, 0.2, 25.3, 99.99]) {
        sim.setInputs({ temperatureC: t });
        clock.t += tconv;
        expect(readChannels(await driver.read()).temperature).toBe(Math.round(t / resolution) * resolution);
      }
    },
  );

  it('clamps the simulated die to -40…125 °C', async () => {
    const { clock, sim, driver } = setup();
    await driver.init();
    const cases: Array<[number, number]> = [
      [-60, -40],
      [150, 125],
    ];
    for (const [input, expected] of cases) {
      sim.setInputs({ temperatureC: input });
      clock.t += 250;
      expect(readChannels(await driver.read()).temperature).toBe(expected);
    }
  });

  it('reads a real conversion first: init waits out the power-up 0 °C', async () => {
    const { clock, bus, driver } = i2cRig(definition);
    expect(await readRegister16(bus, ADDRESS, Register.ambient)).toBe(0x0000);
    await driver.init();
    expect(clock.t).toBe(500);
    expect(readChannels(await driver.read()).temperature).toBe(25);
  });

  it('configures the chip: continuous, resolution by byte write, limits', async () => {
    const { bus, driver } = setup({ resolution: 0.25, alert: { lowC: -10.25, highC: 30, criticalC: 45.5 } });
    const byteWrite = vi.spyOn(bus, 'writeByte');
    const blocks = [vi.spyOn(bus, 'readI2cBlock'), vi.spyOn(bus, 'writeI2cBlock')];
    await driver.init();
    await driver.read();
    expect(byteWrite).toHaveBeenCalledWith(ADDRESS, Register.resolution, 0b01);
    expect(await bus.readByte(ADDRESS, Register.resolution)).toBe(0b01);
    expect(await readRegister16(bus, ADDRESS, Register.config)).toBe(0);
    expect(decodeLimit(await readRegister16(bus, ADDRESS, Register.upperLimit))).toBe(30);
    expect(decodeLimit(await readRegister16(bus, ADDRESS, Register.lowerLimit))).toBe(-10.25);
    expect(decodeLimit(await readRegister16(bus, ADDRESS, Register.criticalLimit))).toBe(45.5);
    for (const block of blocks) expect(block).not.toHaveBeenCalled();
  });

  it('reports the alert from the TA flags: above upper, below lower, at critical', async () => {
    const { clock, sim, driver } = setup({ alert: { lowC: 10, highC: 30, criticalC: 40 } });
    await driver.init();
    const steps: Array<[number, 0 | 1]> = [
      [25, 0],
      [30, 0],
      [30.0625, 1],
      [10, 0],
      [9.9375, 1],
      [39.9375, 1],
      [40, 1],
      [-40, 1],
      [20, 0],
    ];
    for (const [t, alert] of steps) {
      sim.setInputs({ temperatureC: t });
      clock.t += 250;
      expect(readChannels(await driver.read()), `${t} °C`).toEqual({ temperature: t, alert });
    }
  });

  it('sets only the critical flag when TCRIT sits inside the window', async () => {
    const { clock, sim, bus, driver } = setup({ alert: { lowC: 0, highC: 50, criticalC: 35 } });
    await driver.init();
    sim.setInputs({ temperatureC: 35 });
    clock.t += 250;
    expect(decodeAmbient(await readRegister16(bus, ADDRESS, Register.ambient))).toMatchObject({
      atOrAboveCritical: true,
      aboveUpper: false,
      belowLower: false,
    });
    expect(readChannels(await driver.read()).alert).toBe(1);
  });

  it('wakes a chip left in shutdown', async () => {
    const { clock, bus, sim, driver } = setup();
    await writeRegister16(bus, ADDRESS, Register.config, Config.shutdown);
    sim.setInputs({ temperatureC: 31 });
    clock.t += 1000;
    expect(decodeAmbient(await readRegister16(bus, ADDRESS, Register.ambient)).temperatureC).toBe(0);
    await driver.init();
    expect(readChannels(await driver.read()).temperature).toBe(31);
  });

  it('fails when locked limits ignore the writes', async () => {
    const { bus, driver } = setup({ alert: { lowC: 0, highC: 30 } });
    await writeRegister16(bus, ADDRESS, Register.config, Config.windowLock);
    const error = await driver.init().catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'config' });
    expect((error as Error).message).toMatch(/TUPPER reads 0 °C after writing 30 °C.*locked/);
  });
});

describe('mcp9808 faults', () => {
  it('rejects another manufacturer, naming bus, address, expected and found', async () => {
    const { sim, driver } = setup();
    sim.setIds(0x0041, 0x04);
    const error = await driver.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect((error as DeviceFault).reason).toBe('wrong-chip-id');
    expect((error as Error).message).toMatch(/i2c-1.*0x18.*0x0054.*0x04.*found 0x0041 and 0x04/);
  });

  it('rejects another device id of the same manufacturer (MCP9804 is 0x02)', async () => {
    const { sim, driver } = setup();
    sim.setIds(0x0054, 0x02);
    await expect(driver.init()).rejects.toMatchObject({ reason: 'wrong-chip-id' });
  });

  it('passes a NACK through, and reads again once the chip is back', async () => {
    const { bus, driver } = setup();
    await driver.init();
    bus.unplug(ADDRESS);
    await expect(driver.read()).rejects.toMatchObject({ code: 'EREMOTEIO' });
    await expect(driver.init()).rejects.toMatchObject({ code: 'EREMOTEIO' });
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
});

describe('mcp9808 simulator', () => {
  it('gives i2c-stub its registers as SMBus words, the resolution byte low', () => {
    const { sim } = setup();
    const { words } = sim.registerImage();
    expect(words.size).toBe(9);
    expect(words.get(Register.manufacturerId)).toBe(0x5400);
    expect(words.get(Register.deviceId)).toBe(0x0004);
    expect(words.get(Register.resolution)).toBe(0x0003);
  });

  it('keeps read-only registers from being written and NACKs pointers past 08h', async () => {
    const { bus } = setup();
    await bus.writeWord(ADDRESS, Register.manufacturerId, 0);
    expect(await readRegister16(bus, ADDRESS, Register.manufacturerId)).toBe(0x0054);
    await expect(bus.readWord(ADDRESS, 0x09)).rejects.toMatchObject({ code: 'EREMOTEIO' });
  });
});

describe('mcp9808 identify', () => {
  it('answers true for an MCP9808, reading only the ID registers', async () => {
    const { bus, sim } = i2cRig<Mcp9808Sim>(definition, { address: 0x1c });
    const writes = vi.spyOn(sim, 'write');
    expect(await identifyMcp9808(bus, 0x1c)).toBe(true);
    expect(writes.mock.calls.map(([data]) => [...data])).toEqual([
      [Register.manufacturerId],
      [Register.deviceId],
    ]);
  });

  it('answers false for other ids and for an empty address', async () => {
    const { bus, sim } = i2cRig<Mcp9808Sim>(definition, { address: 0x1d });
    sim.setIds(0x0054, 0x02);
    expect(await identifyMcp9808(bus, 0x1d)).toBe(false);
    expect(await identifyMcp9808(bus, 0x1e)).toBe(false);
  });
});
