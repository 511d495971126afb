import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DeviceFault, type Timing } from '../../src/device-kit/index.js';
import { simGpioPerTest } from '../../test/support/device-harness.js';
import { relayLevel } from './driver.js';
import { definition } from './index.js';

const PIN = 23;
const sim = simGpioPerTest();
const timing: Timing = { nowMs: () => performance.now(), sleep: async () => {} };

const relay = (options: Record<string, unknown> = {}) =>
  definition.create({ gpio: sim(), pin: PIN, timing }, definition.options.parse(options));

describe('definition', () => {
  it('takes only 0 and 1, defaults to active-high and refuses unknown keys', () => {
    expect(definition.values).toEqual({ min: 0, max: 1, integer: true });
    expect(definition.options.parse({})).toEqual({ activeLow: false });
    expect(() => definition.options.parse({ inverted: true })).toThrow();
  });
});

describe('relay driver', () => {
  it('opens the line already at the initial value, polarity applied', async () => {
    const open = vi.spyOn(sim(), 'digitalOutput');
    const driver = relay({ activeLow: true });
    await driver.init(0);
    expect(open).toHaveBeenCalledTimes(1);
    expect(open).toHaveBeenCalledWith(PIN, { activeLow: true, initial: 0 });
    // Off on an active-low board is a high line.
    expect(sim().outputLevel(PIN)).toBe(1);
  });

  it('switches an active-high load', async () => {
    const driver = relay();
    await driver.init(0);
    expect(sim().outputLevel(PIN)).toBe(0);
    await driver.write(1);
    expect(sim().outputLevel(PIN)).toBe(1);
    await driver.write(0);
    expect(sim().outputLevel(PIN)).toBe(0);
  });

  it('drives an active-low board low for on', async () => {
    const driver = relay({ activeLow: true });
    await driver.init(0);
    await driver.write(1);
    expect(sim().outputLevel(PIN)).toBe(0);
  });

  it('refuses values other than 0 and 1', async () => {
    const driver = relay();
    await expect(driver.init(0.5)).rejects.toThrow(RangeError);
    await driver.init(0);
    await expect(driver.write(2)).rejects.toThrow(/0 or 1, not 2/);
    expect(() => driver.forcedWrite(-1)).toThrow(RangeError);
    expect(relayLevel(1)).toBe(1);
  });

  it('hands the watchdog the file write that forces the line, and the backend sees it', async () => {
    const driver = relay({ activeLow: true });
    expect(driver.forcedWrite(0).kind).toBe('unsupported');
    await driver.init(1);
    const forced = driver.forcedWrite(0);
    expect(forced).toEqual({ kind: 'file', path: join(sim().stateDir, `gpio${PIN}`), data: '1' });
    if (forced.kind === 'file') writeFileSync(forced.path, forced.data);
    expect(sim().outputLevel(PIN)).toBe(1);
  });

  it('refuses writes before init', async () => {
    await expect(relay().write(1)).rejects.toThrow(DeviceFault);
  });

  it('writes the level on a second init instead of opening the line twice', async () => {
    const driver = relay();
    await driver.init(1);
    await driver.init(0);
    expect(sim().outputLevel(PIN)).toBe(0);
  });

  it('releases the line on close, leaving its level', async () => {
    const driver = relay();
    await driver.init(1);
    await driver.close();
    expect(sim().outputLevel(PIN)).toBe(1);
    const next = relay();
    await next.init(0);
    expect(sim().outputLevel(PIN)).toBe(0);
  });
});
