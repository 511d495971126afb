import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addGpioChips,
  makeTempRoot,
  PI4_GPIO_BASE_512,
  PI5_GPIO,
  rejectionOf,
  removeRoot,
} from './fake-sysfs.test-support.js';
import {
  choosePwmMode,
  edgeAccepts,
  explainPigpioError,
  glitchFilterUs,
  hardwareDuty,
  isRp1Board,
  PIGPIO_FORCED_WRITE_REASON,
  PigpioGpioProvider,
  softwareDuty,
  tickAgeUs,
} from './pigpio-gpio.js';

describe('pigpio pure parts', () => {
  it('uses hardware PWM on 12/13/18/19 while their channel is free', () => {
    expect(choosePwmMode(18, new Set())).toEqual({ kind: 'hardware', channel: 0 });
    expect(choosePwmMode(13, new Set())).toEqual({ kind: 'hardware', channel: 1 });
    expect(choosePwmMode(12, new Set([0]))).toEqual({ kind: 'software' });
    expect(choosePwmMode(19, new Set([0]))).toEqual({ kind: 'hardware', channel: 1 });
    expect(choosePwmMode(17, new Set())).toEqual({ kind: 'software' });
  });

  it('scales duty to 0..1e6 for hardware PWM and 0..range for pwmWrite', () => {
    expect([0, 0.5, 1, 1.2, -0.1].map(hardwareDuty)).toEqual([0, 500_000, 1_000_000, 1_000_000, 0]);
    expect(hardwareDuty(1 / 3)).toBe(333_333);
    expect([0, 0.5, 1].map((f) => softwareDuty(f))).toEqual([0, 128, 255]);
    expect(softwareDuty(0.5, 1000)).toBe(500);
    expect(() => hardwareDuty(Number.NaN)).toThrow(/NaN/);
  });

  it('turns debounce into a glitch filter within pigpio limits', () => {
    expect(glitchFilterUs(0)).toBe(0);
    expect(glitchFilterUs(10)).toBe(10_000);
    expect(glitchFilterUs(0.0504)).toBe(50);
    expect(glitchFilterUs(1000)).toBe(300_000);
  });

  it('ages ticks across the 32-bit wrap', () => {
    expect(tickAgeUs(1000, 400)).toBe(600);
    expect(tickAgeUs(1, 0xffffffff)).toBe(2);
    // pigpio's own tickDiff ((e >> 0) - (s >> 0)) is wrong across the sign bit; this is not.
    expect(tickAgeUs(0x80000001, 0x7fffffff)).toBe(2);
  });

  it('filters alerts by edge on the logical level', () => {
    expect(edgeAccepts('rising', 1)).toBe(true);
    expect(edgeAccepts('rising', 0)).toBe(false);
    expect(edgeAccepts('falling', 0)).toBe(true);
    expect(edgeAccepts('both', 0)).toBe(true);
    expect(edgeAccepts('none', 1)).toBe(false);
  });

  it('recognises RP1 boards by model or GPIO chip', () => {
    expect(isRp1Board('Raspberry Pi 5 Model B Rev 1.0\0', [])).toBe(true);
    expect(isRp1Board('Raspberry Pi Compute Module 5 Rev 1.0\0', [])).toBe(true);
    expect(isRp1Board('Raspberry Pi 500 Rev 1.0\0', [])).toBe(true);
    expect(isRp1Board('', ['gpio-brcmstb@107d508500', 'pinctrl-rp1'])).toBe(true);
    expect(isRp1Board('Raspberry Pi 4 Model B Rev 1.4\0', ['pinctrl-bcm2711'])).toBe(false);
    expect(isRp1Board('Raspberry Pi 3 Model B Plus Rev 1.3\0', [])).toBe(false);
  });

  it('explains an initialisation failure', () => {
    const error = explainPigpioError(new Error('pigpio error -1 in gpioInitialise'), 'initialise');
    expect(error.message).toContain('pigpio error -1 in gpioInitialise');
    expect(error.message).toContain('root');
    expect(error.message).toContain('pigpiod');
    const addon = explainPigpioError(new Error('libpigpio.so.1: cannot open shared object file'), 'load');
    expect(addon.message).toContain('C library');
  });
});

describe('PigpioGpioProvider', () => {
  let root: string;
  beforeEach(async () => {
    root = await makeTempRoot();
  });
  afterEach(async () => {
    await removeRoot(root);
  });

  const notInstalled = async () => {
    throw Object.assign(new Error("Cannot find package 'pigpio'"), { code: 'ERR_MODULE_NOT_FOUND' });
  };

  async function board(
    model: string,
    chips = PI4_GPIO_BASE_512,
    loadLibrary: () => Promise<unknown> = notInstalled,
  ) {
    await mkdir(join(root, 'proc', 'device-tree'), { recursive: true });
    await writeFile(join(root, 'proc', 'device-tree', 'model'), `${model}\0`);
    await addGpioChips(join(root, 'sys'), chips);
    return new PigpioGpioProvider({
      sysfsRoot: join(root, 'sys'),
      procRoot: join(root, 'proc'),
      loadLibrary,
    });
  }

  it('refuses a machine that is not a Raspberry Pi before loading anything', async () => {
    let loaded = false;
    const provider = await board('QEMU Virtual Machine', PI4_GPIO_BASE_512, async () => {
      loaded = true;
      return {};
    });
    await expect(provider.pwm(18, { frequencyHz: 1000 })).rejects.toThrow(
      /pigpio runs only on a Raspberry Pi \(1 to 4\); this machine is a QEMU Virtual Machine; use gpio: 'onoff'/,
    );
    expect(loaded).toBe(false);
  });

  it('fails with a clear message when pigpio is not installed', async () => {
    const provider = await board('Raspberry Pi 4 Model B Rev 1.4');
    const error = await rejectionOf(provider.digitalOutput(17, { activeLow: false, initial: 0 }));
    expect(error.code).toBe('ENODEV');
    expect(error.message).toContain("optional 'pigpio' package is not installed");
    expect(error.message).toContain("gpio: 'onoff' and pwm: 'sysfs'");
    // Every later use reports the same cause.
    await expect(provider.pwm(18, { frequencyHz: 1000 })).rejects.toThrow(/not installed/);
  });

  it('refuses the Pi 5 before importing anything', async () => {
    const provider = await board('Raspberry Pi 5 Model B Rev 1.0', PI5_GPIO);
    await expect(provider.digitalInput(4, { edge: 'both', debounceMs: 5, activeLow: false })).rejects.toThrow(
      /pigpio does not support Raspberry Pi 5 Model B Rev 1\.0: its GPIO is on the RP1 chip; use gpio: 'onoff'/,
    );
  });

  it('refuses a board whose only sign of RP1 is the GPIO chip', async () => {
    await addGpioChips(join(root, 'sys'), PI5_GPIO);
    const provider = new PigpioGpioProvider({ sysfsRoot: join(root, 'sys'), procRoot: join(root, 'none') });
    await expect(provider.load()).rejects.toThrow(/this board \(pinctrl-rp1 GPIO\)/);
  });

  it('checks the frequency before loading', async () => {
    const provider = await board('Raspberry Pi 4 Model B Rev 1.4');
    await expect(provider.pwm(18, { frequencyHz: 0 })).rejects.toThrow(/outside 1 Hz/);
  });

  it('tells the watchdog why it cannot write pigpio lines', () => {
    expect(PIGPIO_FORCED_WRITE_REASON).toBe(
      "pigpio is driven through its library, not files; the watchdog ends the process so systemd's stop hook sets the safe values",
    );
  });
});
