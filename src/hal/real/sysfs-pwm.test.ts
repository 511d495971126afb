import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addPwmChannel,
  addPwmChips,
  type FakePwmChip,
  makeTempRoot,
  PI4_PWM,
  PI5_PWM,
  rejectionOf,
  removeRoot,
} from './fake-sysfs.test-support.js';
import {
  dutyNsFor,
  nodeSysfsIo,
  periodNsFor,
  planPwmWrites,
  type SysfsIo,
  SysfsPwmBackend,
} from './sysfs-pwm.js';

describe('PWM arithmetic', () => {
  it('turns a frequency into a period in ns', () => {
    expect(periodNsFor(1000)).toBe(1_000_000);
    expect(periodNsFor(25_000)).toBe(40_000);
    expect(periodNsFor(3)).toBe(333_333_333);
    expect(() => periodNsFor(0)).toThrow(RangeError);
    expect(() => periodNsFor(Number.NaN)).toThrow(RangeError);
  });

  it('scales and clamps the duty cycle', () => {
    expect(dutyNsFor(0.25, 40_000)).toBe(10_000);
    expect(dutyNsFor(1.5, 40_000)).toBe(40_000);
    expect(dutyNsFor(-1, 40_000)).toBe(0);
    expect(() => dutyNsFor(Number.NaN, 40_000)).toThrow(/NaN/);
  });

  it('writes the period first when it grows and last when it shrinks', () => {
    expect(planPwmWrites({ periodNs: 0, dutyNs: 0 }, { periodNs: 1000, dutyNs: 500 })).toEqual([
      { file: 'period', value: 1000 },
      { file: 'duty_cycle', value: 500 },
    ]);
    expect(
      planPwmWrites({ periodNs: 20_000_000, dutyNs: 15_000_000 }, { periodNs: 40_000, dutyNs: 0 }),
    ).toEqual([
      { file: 'duty_cycle', value: 0 },
      { file: 'period', value: 40_000 },
    ]);
    expect(planPwmWrites({ periodNs: 1000, dutyNs: 0 }, { periodNs: 1000, dutyNs: 0 })).toEqual([]);
  });

  it('never leaves duty above period between writes', () => {
    const states = [0, 1, 999, 1000, 1001, 50_000].flatMap((p) =>
      [0, p / 2, p].map((d) => ({ periodNs: p, dutyNs: d })),
    );
    for (const from of states) {
      for (const to of states) {
        let state = { ...from };
        for (const step of planPwmWrites(from, to)) {
          state =
            step.file === 'period' ? { ...state, periodNs: step.value } : { ...state, dutyNs: step.value };
          expect(state.dutyNs).toBeLessThanOrEqual(state.periodNs);
        }
        expect(state).toEqual(to);
      }
    }
  });
});

/**
 * The kernel's side of the ABI on top of a fake tree: duty above period is EINVAL
 * (pwm_apply), export creates pwmM after `exportDelayMs` (udev's permission fix
 * being the slow part), a second export is EBUSY. Every write is recorded.
 */
function fakeKernel(exportDelayMs: number | 'never' = 0) {
  const writes: Array<[string, string]> = [];
  const io: SysfsIo = {
    read: nodeSysfsIo.read,
    writable: nodeSysfsIo.writable,
    async write(path, data) {
      const dir = dirname(path);
      const file = basename(path);
      writes.push([`${basename(dir)}/${file}`, data]);
      const value = Number(data);
      if (file === 'period' || file === 'duty_cycle') {
        const other = Number(
          (await readFile(join(dir, file === 'period' ? 'duty_cycle' : 'period'), 'utf8')).trim(),
        );
        const [period, duty] = file === 'period' ? [value, other] : [other, value];
        if (duty > period) throw Object.assign(new Error('Invalid argument'), { code: 'EINVAL' });
      }
      if (file === 'export') {
        if (await nodeSysfsIo.writable(join(dir, `pwm${data}`, 'period'))) {
          throw Object.assign(new Error('Device or resource busy'), { code: 'EBUSY' });
        }
        if (exportDelayMs !== 'never') setTimeout(() => void addPwmChannel(dir, value), exportDelayMs);
      }
      await nodeSysfsIo.write(path, data);
    },
  };
  return { io, writes };
}

let root: string;
beforeEach(async () => {
  root = await makeTempRoot();
});
afterEach(async () => {
  await removeRoot(root);
});

async function tree(chips: FakePwmChip[]) {
  await addPwmChips(root, chips);
}

describe('SysfsPwmBackend', () => {
  it('exports, waits for the channel folder, sets the period and enables', async () => {
    await tree(PI5_PWM);
    const kernel = fakeKernel(60);
    const backend = new SysfsPwmBackend({ sysfsRoot: root, io: kernel.io, exportPollMs: 5 });
    const pwm = await backend.open(18, { frequencyHz: 25_000 });
    expect(kernel.writes).toEqual([
      ['pwmchip2/export', '2'],
      ['pwm2/period', '40000'],
      ['pwm2/enable', '1'],
    ]);
    const dir = join(root, 'class', 'pwm', 'pwmchip2', 'pwm2');
    expect((await readFile(join(dir, 'period'), 'utf8')).trim()).toBe('40000');

    await pwm.setDutyCycle(0.25);
    expect(kernel.writes.at(-1)).toEqual(['pwm2/duty_cycle', '10000']);
    expect(pwm.dutyCycle()).toBe(0.25);
    expect(pwm.forcedWrite(0)).toEqual({ kind: 'file', path: join(dir, 'duty_cycle'), data: '0' });
    expect(pwm.forcedWrite(1)).toEqual({ kind: 'file', path: join(dir, 'duty_cycle'), data: '40000' });

    await pwm.close();
    expect(kernel.writes.at(-1)).toEqual(['pwmchip2/unexport', '2']);
    await expect(pwm.setDutyCycle(0.5)).rejects.toThrow(/closed/);
  });

  it('lowers the duty before shrinking a period left by a previous run', async () => {
    await tree([{ ...PI4_PWM[0]!, exported: { 0: { period: 20_000_000, duty: 15_000_000, enable: 1 } } }]);
    const kernel = fakeKernel();
    const backend = new SysfsPwmBackend({ sysfsRoot: root, io: kernel.io });
    await backend.open(18, { frequencyHz: 1000 });
    expect(kernel.writes).toEqual([
      ['pwm0/duty_cycle', '0'],
      ['pwm0/period', '1000000'],
    ]);
  });

  it('resets an inverse polarity while the channel is disabled', async () => {
    await tree([
      { ...PI4_PWM[0]!, exported: { 1: { period: 1000, duty: 0, enable: 1, polarity: 'inversed' } } },
    ]);
    const kernel = fakeKernel();
    await new SysfsPwmBackend({ sysfsRoot: root, io: kernel.io }).open(19, { frequencyHz: 1000 });
    expect(kernel.writes).toEqual([
      ['pwm1/enable', '0'],
      ['pwm1/polarity', 'normal'],
      ['pwm1/period', '1000000'],
      ['pwm1/enable', '1'],
    ]);
  });

  it('waits until udev has fixed every file, not just the first', async () => {
    await tree([{ ...PI4_PWM[0]!, exported: { 0: {} } }]);
    const kernel = fakeKernel();
    let enableChecks = 0;
    const io: SysfsIo = {
      ...kernel.io,
      // `period` is writable at once; `enable` only from the third look on.
      writable: async (path) =>
        basename(path) === 'enable' ? ++enableChecks >= 3 : nodeSysfsIo.writable(path),
    };
    await new SysfsPwmBackend({ sysfsRoot: root, io, exportPollMs: 1 }).open(18, { frequencyHz: 100 });
    expect(enableChecks).toBe(3);
    // The channel folder existed, so the export write was EBUSY and tolerated.
    expect(kernel.writes.map(([file]) => file)).toEqual(['pwmchip0/export', 'pwm0/period', 'pwm0/enable']);
  });

  it('gives up with ETIMEDOUT when the channel never becomes writable', async () => {
    await tree(PI5_PWM);
    const kernel = fakeKernel('never');
    const backend = new SysfsPwmBackend({
      sysfsRoot: root,
      io: kernel.io,
      exportTimeoutMs: 50,
      exportPollMs: 5,
    });
    const error = await rejectionOf(backend.open(12, { frequencyHz: 100 }));
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.message).toContain('GPIO 12 (pwmchip2 1f00098000.pwm channel 0)');
    expect(error.message).toContain('gpio group');
    // The failed open does not hold the channel.
    await expect(backend.open(12, { frequencyHz: 100 })).rejects.toThrow(/ETIMEDOUT/);
  });

  it('refuses a second open of the same channel', async () => {
    await tree(PI4_PWM);
    const backend = new SysfsPwmBackend({ sysfsRoot: root, io: fakeKernel().io, exportPollMs: 1 });
    const first = await backend.open(18, { frequencyHz: 100 });
    // GPIO 12 is the same BCM2711 channel as GPIO 18.
    await expect(backend.open(12, { frequencyHz: 100 })).rejects.toThrow(/EBUSY.*already open/);
    await first.close();
    await expect(backend.open(12, { frequencyHz: 100 })).resolves.toBeDefined();
  });

  it('names the pin and chip when a write fails', async () => {
    await tree([{ ...PI4_PWM[0]!, exported: { 0: {} } }]);
    const io: SysfsIo = {
      ...nodeSysfsIo,
      write: async () => {
        throw Object.assign(new Error('Permission denied'), { code: 'EACCES' });
      },
    };
    const error = await rejectionOf(
      new SysfsPwmBackend({ sysfsRoot: root, io }).open(18, { frequencyHz: 100 }),
    );
    expect(error.code).toBe('EACCES');
    expect(error.message).toContain('GPIO 18 (pwmchip0 fe20c000.pwm channel 0)');
  });
});
