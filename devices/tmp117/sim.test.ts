import { describe, expect, it } from 'vitest';
import { readRegister16, writeRegister16 } from '../../src/device-kit/index.js';
import { i2cRig } from '../../test/support/device-harness.js';
import { definition } from './index.js';
import { Config, Register } from './registers.js';
import type { Tmp117Sim } from './sim.js';

const ADDRESS = 0x48;

const attach = (startMs = 0) => i2cRig<Tmp117Sim>(definition, { startMs });

describe('tmp117 simulator', () => {
  it('reads -256 °C until the first conversion after power-on (§7.3.1), then converts every cycle', async () => {
    const { clock, bus, sim } = attach();
    expect(await readRegister16(bus, ADDRESS, Register.temperature)).toBe(0x8000);
    clock.t = 125;
    expect(await readRegister16(bus, ADDRESS, Register.temperature)).toBe(0x0c80);
    sim.setInputs({ temperatureC: 100 });
    clock.t = 1124;
    expect(await readRegister16(bus, ADDRESS, Register.temperature)).toBe(0x0c80);
    clock.t = 1125;
    expect(await readRegister16(bus, ADDRESS, Register.temperature)).toBe(0x3200);
  });

  it('one-shot: Data_Ready after the averaged conversion, then back to shutdown (§7.4.3)', async () => {
    const { clock, bus } = attach();
    await writeRegister16(bus, ADDRESS, Register.configuration, 0x0c60); // MOD = 11, AVG = 11 (64)
    clock.t = 999;
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & Config.dataReady).toBe(0);
    clock.t = 1000;
    const word = await readRegister16(bus, ADDRESS, Register.configuration);
    expect(word & Config.dataReady).toBe(Config.dataReady);
    expect((word >> 10) & 0b11).toBe(0b01);
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & Config.dataReady).toBe(0);
  });

  it('alert mode latches flags until a configuration read; therm mode keeps its state', async () => {
    const { clock, bus, sim } = attach();
    await writeRegister16(bus, ADDRESS, Register.highLimit, 0x0c80); // 25 °C
    await writeRegister16(bus, ADDRESS, Register.lowLimit, 0x0a00); // 20 °C
    sim.setInputs({ temperatureC: 30 });
    await writeRegister16(bus, ADDRESS, Register.configuration, 0x0c00);
    clock.t += 15.5;
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & 0xe000).toBe(
      Config.highAlert | Config.dataReady,
    );
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & 0xe000).toBe(0);

    await writeRegister16(bus, ADDRESS, Register.configuration, 0x0c00 | Config.therm);
    clock.t += 15.5;
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & 0xe000).toBe(
      Config.highAlert | Config.dataReady,
    );
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & 0xe000).toBe(Config.highAlert);
  });

  it('stuck conversions never set Data_Ready; released, they finish one conversion time later', async () => {
    const { clock, bus, sim } = attach();
    sim.stickConversion(true);
    await writeRegister16(bus, ADDRESS, Register.configuration, 0x0c00);
    clock.t += 1000;
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & Config.dataReady).toBe(0);
    sim.stickConversion(false);
    clock.t += 15.5;
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & Config.dataReady).toBe(
      Config.dataReady,
    );
  });

  it('loadDump freezes the result, while conversions still flag against the limits', async () => {
    const { clock, bus, sim } = attach();
    sim.loadDump({ '0x00': 'f380', '0x02': '0000' });
    sim.setInputs({ temperatureC: 50 });
    await writeRegister16(bus, ADDRESS, Register.configuration, 0x0c00);
    clock.t += 15.5;
    expect(await readRegister16(bus, ADDRESS, Register.configuration)).toBe(0x0400 | Config.dataReady);
    expect(await readRegister16(bus, ADDRESS, Register.temperature)).toBe(0xf380);
    expect(() => sim.loadDump({ '0x10': '0000' })).toThrow(/no register 16/);
  });

  it('soft reset reloads the factory registers', async () => {
    const { bus } = attach(1000);
    await writeRegister16(bus, ADDRESS, Register.highLimit, 0x1000);
    await writeRegister16(bus, ADDRESS, Register.configuration, 0x0c00);
    await writeRegister16(bus, ADDRESS, Register.configuration, Config.softReset);
    expect(await readRegister16(bus, ADDRESS, Register.configuration)).toBe(Config.reset);
    expect(await readRegister16(bus, ADDRESS, Register.highLimit)).toBe(0x6000);
    expect(await readRegister16(bus, ADDRESS, Register.lowLimit)).toBe(0x8000);
    expect(await readRegister16(bus, ADDRESS, Register.temperature)).toBe(0x8000);
  });

  it('keeps read-only registers and status bits from being written', async () => {
    const { bus } = attach();
    await writeRegister16(bus, ADDRESS, Register.deviceId, 0x1234);
    await writeRegister16(bus, ADDRESS, Register.configuration, 0xe000 | Config.reset);
    expect(await readRegister16(bus, ADDRESS, Register.deviceId)).toBe(0x0117);
    expect((await readRegister16(bus, ADDRESS, Register.configuration)) & 0xe000).toBe(0);
  });

  it('refuses a non-finite input', () => {
    const { sim } = attach();
    expect(() => sim.setInputs({ temperatureC: Number.NaN })).toThrow(RangeError);
  });

  it('gives i2c-stub its registers as SMBus words', () => {
    const { sim } = attach();
    const { words } = sim.registerImage();
    expect(words.size).toBe(16);
    expect(words.get(Register.deviceId)).toBe(0x1701);
    expect(words.get(Register.configuration)).toBe(0x2002);
    expect(words.get(Register.temperature)).toBe(0x0080);
  });
});
