import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addGpioChips,
  addPwmChips,
  makeTempRoot,
  PI4_GPIO_BASE_0,
  PI4_GPIO_BASE_512,
  PI4_PWM,
  PI5_GPIO,
  PI5_PWM,
  rejectionOf,
  removeRoot,
} from './fake-sysfs.test-support.js';
import {
  DEFAULT_PWM_PINS,
  findGpioChip,
  findPwmChannel,
  listPwmChips,
  mergePwmPins,
  selectGpioChip,
  sysfsGpioNumber,
} from './gpio-chip.js';

let root: string;
beforeEach(async () => {
  root = await makeTempRoot();
});
afterEach(async () => {
  await removeRoot(root);
});

describe('GPIO chip lookup', () => {
  it('finds a Pi 4 chip at base 0 (kernels before 6.6)', async () => {
    await addGpioChips(root, PI4_GPIO_BASE_0);
    const chip = await findGpioChip({ sysfsRoot: root });
    expect(chip).toEqual({ name: 'gpiochip0', label: 'pinctrl-bcm2711', base: 0, ngpio: 58 });
    expect(sysfsGpioNumber(chip, 17)).toBe(17);
  });

  it('finds a Pi 4 chip at base 512 and ignores the firmware expander', async () => {
    await addGpioChips(root, PI4_GPIO_BASE_512);
    const chip = await findGpioChip({ sysfsRoot: root });
    expect(chip.label).toBe('pinctrl-bcm2711');
    expect(sysfsGpioNumber(chip, 17)).toBe(529);
  });

  it('finds the Pi 5 RP1 bank at 571 among the gpio-brcmstb chips', async () => {
    await addGpioChips(root, PI5_GPIO);
    const chip = await findGpioChip({ sysfsRoot: root });
    expect(chip).toMatchObject({ name: 'gpiochip571', label: 'pinctrl-rp1', base: 571, ngpio: 54 });
    expect(sysfsGpioNumber(chip, 0)).toBe(571);
    expect(sysfsGpioNumber(chip, 17)).toBe(588);
  });

  it('accepts gpio-mockup-A only when configured', async () => {
    await addGpioChips(root, [{ base: 512, ngpio: 32, label: 'gpio-mockup-A' }]);
    await expect(findGpioChip({ sysfsRoot: root })).rejects.toThrow(/gpio-mockup-A/);
    const chip = await findGpioChip({ sysfsRoot: root, label: 'gpio-mockup-A' });
    expect(sysfsGpioNumber(chip, 5)).toBe(517);
  });

  it('prefers the configured label over a known one', () => {
    const chips = [
      { name: 'gpiochip0', label: 'pinctrl-bcm2711', base: 0, ngpio: 58 },
      { name: 'gpiochip600', label: 'gpio-mockup-A', base: 600, ngpio: 8 },
    ];
    expect(selectGpioChip(chips, 'gpio-mockup-A').base).toBe(600);
    expect(selectGpioChip(chips).base).toBe(0);
  });

  it('names the wanted labels and the chips present when none matches', async () => {
    await addGpioChips(root, [{ base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' }]);
    const error = await rejectionOf(findGpioChip({ sysfsRoot: root }));
    expect(error.code).toBe('ENODEV');
    expect(error.message).toContain('"pinctrl-rp1"');
    expect(error.message).toContain('gpiochip512 "gpio-brcmstb@107d508500" (base 512, 32 lines)');
    expect(error.message).toMatch(/GPIO chip label in the configuration/);
  });

  it('says the kernel lacks GPIO sysfs when /sys/class/gpio is missing', async () => {
    const error = await rejectionOf(findGpioChip({ sysfsRoot: root }));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toContain('CONFIG_GPIO_SYSFS');
  });

  it('rejects a pin outside the chip, naming pin, chip and range', async () => {
    await addGpioChips(root, PI5_GPIO);
    const chip = await findGpioChip({ sysfsRoot: root });
    expect(() => sysfsGpioNumber(chip, 54)).toThrow(
      'GPIO 54 is not on gpiochip571 "pinctrl-rp1": it has lines 0..53 (sysfs 571..624)',
    );
    expect(() => sysfsGpioNumber(chip, -1)).toThrow(/GPIO -1/);
    expect(() => sysfsGpioNumber(chip, 1.5)).toThrow(/GPIO 1.5/);
  });
});

describe('PWM chip lookup', () => {
  it('reads chips by device, whatever their number', async () => {
    await addPwmChips(root, PI5_PWM);
    const chips = await listPwmChips(root);
    expect(chips.map((c) => [c.name, c.device, c.npwm])).toEqual([
      ['pwmchip0', '1f0009c000.pwm', 4],
      ['pwmchip2', '1f00098000.pwm', 4],
    ]);
  });

  it('maps the Pi 5 header pins to RP1 PWM0 channels 0-3, never the fan chip', async () => {
    await addPwmChips(root, PI5_PWM);
    for (const [pin, channel] of [
      [12, 0],
      [13, 1],
      [18, 2],
      [19, 3],
    ] as const) {
      const found = await findPwmChannel({ pin, sysfsRoot: root });
      expect(found.chip.name).toBe('pwmchip2');
      expect(found.channel).toBe(channel);
    }
  });

  it('maps the Pi 4 pins to BCM2711 PWM0 channels 0/1', async () => {
    await addPwmChips(root, PI4_PWM);
    expect((await findPwmChannel({ pin: 18, sysfsRoot: root })).channel).toBe(0);
    expect((await findPwmChannel({ pin: 13, sysfsRoot: root })).channel).toBe(1);
  });

  it('tells how to enable PWM when no chip matches', async () => {
    await addPwmChips(root, [{ index: 0, device: '1f0009c000.pwm', npwm: 4 }]);
    const error = await rejectionOf(findPwmChannel({ pin: 18, sysfsRoot: root }));
    expect(error.code).toBe('ENODEV');
    expect(error.message).toContain('no PWM chip for GPIO 18');
    expect(error.message).toContain('pwmchip0 (1f0009c000.pwm)');
    expect(error.message).toContain('dtoverlay=pwm-2chan');
  });

  it('treats a missing /sys/class/pwm as no chips', async () => {
    await expect(findPwmChannel({ pin: 18, sysfsRoot: root })).rejects.toThrow(/chips present: none/);
  });

  it('rejects a pin without hardware PWM', async () => {
    await addPwmChips(root, PI5_PWM);
    await expect(findPwmChannel({ pin: 17, sysfsRoot: root })).rejects.toThrow(
      'GPIO 17 has no hardware PWM in the pin table (PWM pins: 12, 13, 18, 19)',
    );
  });

  it('rejects a configured channel beyond npwm', async () => {
    await addPwmChips(root, PI4_PWM);
    const table = mergePwmPins({ 18: { chip: 'fe20c000.pwm', channel: 3 } });
    await expect(findPwmChannel({ pin: 18, sysfsRoot: root, table })).rejects.toThrow(/channels 0\.\.1/);
  });

  it('takes configured pins by chip name, device or path fragment', async () => {
    await addPwmChips(root, PI5_PWM);
    const byName = mergePwmPins({ 5: { chip: 'pwmchip0', channel: 1 } });
    expect((await findPwmChannel({ pin: 5, sysfsRoot: root, table: byName })).chip.device).toBe(
      '1f0009c000.pwm',
    );
    const byPath = mergePwmPins({ 5: { chip: 'axi/1f00098000.pwm', channel: 1 } });
    expect((await findPwmChannel({ pin: 5, sysfsRoot: root, table: byPath })).chip.name).toBe('pwmchip2');
    expect(byName[18]).toBe(DEFAULT_PWM_PINS[18]);
  });
});
