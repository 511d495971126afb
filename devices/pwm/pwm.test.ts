import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DeviceFault, type Timing } from '../../src/device-kit/index.js';
import { simGpioPerTest } from '../../test/support/device-harness.js';
import { dutyMapping, frequencyFor, servoDuty } from './duty.js';
import { definition, options } from './index.js';

const PIN = 18;
const sim = simGpioPerTest();
const timing: Timing = { nowMs: () => performance.now(), sleep: async () => {} };

const parse = (given: Record<string, unknown> = {}) => options.parse(given);
const pwm = (given: Record<string, unknown> = {}) =>
  definition.create({ gpio: sim(), pin: PIN, timing }, parse(given));

describe('definition', () => {
  it('defaults to duty mode with 1000..2000 µs servo pulses, and refuses unknown keys', () => {
    expect(definition.values).toEqual({ min: 0, max: 1, integer: false });
    expect(parse()).toEqual({ mode: 'duty', pulseUs: { min: 1000, max: 2000 } });
    expect(parse({ pulseUs: { min: 500 } }).pulseUs).toEqual({ min: 500, max: 2000 });
    expect(() => parse({ frequency: 50 })).toThrow();
    expect(() => parse({ pulseUs: { min: 1000, max: 2000, mid: 1500 } })).toThrow();
    expect(() => parse({ frequencyHz: 0 })).toThrow();
  });

  it('resolves the frequency from the mode unless given', () => {
    expect(frequencyFor(parse())).toBe(1000);
    expect(frequencyFor(parse({ mode: 'servo' }))).toBe(50);
    expect(frequencyFor(parse({ mode: 'servo', frequencyHz: 330 }))).toBe(330);
  });
});

describe('servo mapping', () => {
  it('maps 0..1 linearly onto the pulse width, as a fraction of the period', () => {
    const standard = { min: 1000, max: 2000 };
    expect(servoDuty(0, standard, 50)).toBeCloseTo(0.05, 12);
    expect(servoDuty(0.5, standard, 50)).toBeCloseTo(0.075, 12);
    expect(servoDuty(1, standard, 50)).toBeCloseTo(0.1, 12);
    expect(servoDuty(0.25, { min: 500, max: 2500 }, 50)).toBeCloseTo(0.05, 12);
    expect(servoDuty(0, { min: 2000, max: 1000 }, 50)).toBeCloseTo(0.1, 12);
  });

  it('refuses values outside 0..1 and pulses that do not fit the period', () => {
    expect(() => servoDuty(1.1, { min: 1000, max: 2000 }, 50)).toThrow(RangeError);
    expect(() => dutyMapping(parse({ mode: 'servo', frequencyHz: 1000 }))).toThrow(DeviceFault);
    expect(() => pwm({ mode: 'servo', frequencyHz: 600 })).toThrow(/2000 µs pulse does not fit/);
  });
});

describe('pwm driver', () => {
  it('opens the line at the mode frequency and writes the initial duty first', async () => {
    const open = vi.spyOn(sim(), 'pwm');
    const driver = pwm();
    await driver.init(0.25);
    expect(open).toHaveBeenCalledWith(PIN, { frequencyHz: 1000 });
    expect(sim().frequencyHz(PIN)).toBe(1000);
    expect(sim().dutyCycle(PIN)).toBe(0.25);
    await driver.write(0.6);
    expect(sim().dutyCycle(PIN)).toBe(0.6);
  });

  it('sets servo pulses as duty fractions at 50 Hz', async () => {
    const driver = pwm({ mode: 'servo' });
    await driver.init(0.5);
    expect(sim().frequencyHz(PIN)).toBe(50);
    expect(sim().dutyCycle(PIN)).toBeCloseTo(0.075, 12);
    await driver.write(1);
    expect(sim().dutyCycle(PIN)).toBeCloseTo(0.1, 12);
  });

  it('leaves the line alone when the initial value is invalid', async () => {
    const open = vi.spyOn(sim(), 'pwm');
    await expect(pwm().init(2)).rejects.toThrow(RangeError);
    expect(open).not.toHaveBeenCalled();
  });

  it('refuses out-of-range values and writes before init', async () => {
    await expect(pwm().write(0.5)).rejects.toThrow(DeviceFault);
    const driver = pwm();
    await driver.init(0);
    await expect(driver.write(-0.1)).rejects.toThrow(RangeError);
    expect(sim().dutyCycle(PIN)).toBe(0);
  });

  it('hands the watchdog the file write for a value, mapped like a normal write', async () => {
    const driver = pwm({ mode: 'servo' });
    expect(driver.forcedWrite(0).kind).toBe('unsupported');
    await driver.init(1);
    const forced = driver.forcedWrite(0.5);
    expect(forced).toMatchObject({ kind: 'file', path: join(sim().stateDir, `pwm${PIN}`) });
    if (forced.kind !== 'file') throw new Error('expected a file write');
    expect(Number(forced.data)).toBeCloseTo(0.075, 12);
    writeFileSync(forced.path, forced.data);
    expect(sim().dutyCycle(PIN)).toBeCloseTo(0.075, 12);
  });

  it('re-sets the duty on a second init, and releases the line on close at its last duty', async () => {
    const driver = pwm();
    await driver.init(0.4);
    await driver.init(0.1);
    expect(sim().dutyCycle(PIN)).toBe(0.1);
    await driver.close();
    expect(sim().dutyCycle(PIN)).toBe(0.1);
    expect(sim().frequencyHz(PIN)).toBeUndefined();
    const next = pwm();
    await next.init(0);
    expect(sim().dutyCycle(PIN)).toBe(0);
  });
});
