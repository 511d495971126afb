import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addGpioChips,
  addPwmChips,
  makeTempRoot,
  PI5_GPIO,
  PI5_PWM,
  removeRoot,
} from './fake-sysfs.test-support.js';

/**
 * i2c-bus and onoff are CommonJS: Node loads them through its CommonJS loader even
 * from import(), so they show up in require.cache exactly when they are loaded.
 * Vitest runs each test file in a fresh process, so this file starts clean.
 */
const require = createRequire(import.meta.url);
const loaded = (name: string) =>
  Object.keys(require.cache).some((path) => path.includes(`/node_modules/${name}/`));

let root: string;
beforeEach(async () => {
  root = await makeTempRoot();
});
afterEach(async () => {
  await removeRoot(root);
});

describe('createRealHal', () => {
  it('loads each library only at first use', async () => {
    expect(loaded('i2c-bus')).toBe(false);
    expect(loaded('onoff')).toBe(false);

    const { createRealHal } = await import('./real-hal.js');
    await addGpioChips(root, PI5_GPIO);
    await addPwmChips(root, [PI5_PWM[0]!, { ...PI5_PWM[1]!, exported: { 2: {} } }]);
    await mkdir(join(root, 'bus', 'w1', 'devices', '28-0316a4e1b2ff'), { recursive: true });
    await writeFile(join(root, 'bus', 'w1', 'devices', '28-0316a4e1b2ff', 'w1_slave'), 'YES\nt=1\n');

    const hal = createRealHal({ gpio: 'onoff', pwm: 'sysfs', sysfsRoot: root });
    expect(hal.kind).toBe('real');
    expect(await hal.oneWire().listDevices()).toEqual(['28-0316a4e1b2ff']);
    const pwm = await hal.gpio.pwm(18, { frequencyHz: 1000 });
    await pwm.setDutyCycle(0.5);
    expect(loaded('i2c-bus')).toBe(false);
    expect(loaded('onoff')).toBe(false);

    await expect(hal.i2c(1)).rejects.toThrow(/\/dev\/i2c-1|could not be loaded/);
    expect(loaded('i2c-bus')).toBe(true);
    expect(loaded('onoff')).toBe(false);

    // onoff loads, then fails on this machine's missing /sys/class/gpio.
    await expect(hal.gpio.digitalOutput(17, { activeLow: false, initial: 0 })).rejects.toThrow(/GPIO 17/);
    expect(loaded('onoff')).toBe(true);
    await hal.close();
  });

  it('never imports pigpio for an onoff/sysfs configuration', async () => {
    const { createRealHal } = await import('./real-hal.js');
    const hal = createRealHal({ gpio: 'onoff', pwm: 'sysfs', sysfsRoot: root });
    await expect(hal.preload()).resolves.toBeUndefined();
    await hal.close();
  });

  it('reports why pigpio cannot serve when it is configured (here: not a Raspberry Pi)', async () => {
    const { createRealHal } = await import('./real-hal.js');
    await addGpioChips(join(root, 'sys'), PI5_GPIO.slice(0, 1));
    const hal = createRealHal({
      gpio: 'onoff',
      pwm: 'pigpio',
      sysfsRoot: join(root, 'sys'),
      procRoot: join(root, 'proc'),
    });
    await expect(hal.preload()).rejects.toThrow(/pigpio runs only on a Raspberry Pi/);
    await expect(hal.gpio.pwm(18, { frequencyHz: 1000 })).rejects.toThrow(
      /pigpio runs only on a Raspberry Pi/,
    );
    await hal.close();
  });

  it('close() releases what was opened and refuses new work', async () => {
    const { createRealHal } = await import('./real-hal.js');
    await addPwmChips(root, [{ ...PI5_PWM[1]!, exported: { 0: {}, 1: {} } }]);
    const hal = createRealHal({ gpio: 'onoff', pwm: 'sysfs', sysfsRoot: root });
    const a = await hal.gpio.pwm(12, { frequencyHz: 100 });
    await hal.gpio.pwm(13, { frequencyHz: 100 });
    await a.close();
    const unexport = join(root, 'class', 'pwm', 'pwmchip2', 'unexport');
    expect(await readFile(unexport, 'utf8')).toBe('0');
    await hal.close();
    expect(await readFile(unexport, 'utf8')).toBe('1');
    await expect(hal.gpio.pwm(12, { frequencyHz: 100 })).rejects.toThrow(/closed/);
    await expect(hal.i2c(1)).rejects.toThrow(/closed/);
  });

  it('claims a pin across backends until it is closed', async () => {
    const { createRealHal } = await import('./real-hal.js');
    await addPwmChips(root, [{ ...PI5_PWM[1]!, exported: { 2: {} } }]);
    const hal = createRealHal({ gpio: 'onoff', pwm: 'sysfs', sysfsRoot: root });
    const pwm = await hal.gpio.pwm(18, { frequencyHz: 100 });
    await expect(hal.gpio.digitalOutput(18, { activeLow: false, initial: 0 })).rejects.toThrow(
      'EBUSY: GPIO 18 is already open',
    );
    await pwm.close();
    await expect(hal.gpio.pwm(18, { frequencyHz: 100 })).resolves.toBeDefined();
    await hal.close();
  });

  it('uses configured PWM pins', async () => {
    const { createRealHal } = await import('./real-hal.js');
    await addPwmChips(root, [{ index: 0, device: 'pwm-mock', npwm: 2, exported: { 1: {} } }]);
    const hal = createRealHal({
      gpio: 'onoff',
      pwm: 'sysfs',
      sysfsRoot: root,
      pwmPins: { 5: { chip: 'pwm-mock', channel: 1 } },
    });
    const pwm = await hal.gpio.pwm(5, { frequencyHz: 50 });
    expect(pwm.forcedWrite(1)).toEqual({
      kind: 'file',
      path: join(root, 'class', 'pwm', 'pwmchip0', 'pwm1', 'duty_cycle'),
      data: '20000000',
    });
    await hal.close();
  });
});
