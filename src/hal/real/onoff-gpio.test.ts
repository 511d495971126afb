import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PwmOutput } from '../../device-kit/index.js';
import { addGpioChips, makeTempRoot, PI5_GPIO, rejectionOf, removeRoot } from './fake-sysfs.test-support.js';
import {
  explainExportError,
  gpioValuePath,
  OnoffGpioProvider,
  outputDirection,
  physicalLevel,
} from './onoff-gpio.js';

/** What onoff's Gpio was asked to do; the library itself needs /sys/class/gpio. */
class FakeGpio {
  static created: FakeGpio[] = [];
  static failWith: NodeJS.ErrnoException | undefined;
  value = 0;
  unexported = false;
  readonly listeners: Array<(err: Error | null | undefined, value: number) => void> = [];
  readonly writes: number[] = [];
  constructor(
    readonly number: number,
    readonly direction: string,
    readonly edge?: string,
    readonly options?: Record<string, unknown>,
  ) {
    if (FakeGpio.failWith) throw FakeGpio.failWith;
    FakeGpio.created.push(this);
    if (direction === 'high') this.value = 1;
  }
  async read() {
    return this.value;
  }
  async write(value: number) {
    this.writes.push(value);
    this.value = value;
  }
  watch(cb: (err: Error | null | undefined, value: number) => void) {
    this.listeners.push(cb);
  }
  unwatch(cb: (err: Error | null | undefined, value: number) => void) {
    this.listeners.splice(this.listeners.indexOf(cb), 1);
  }
  unexport() {
    this.unexported = true;
  }
}

let root: string;
let provider: OnoffGpioProvider;
const pwmCalls: Array<[number, number]> = [];

beforeEach(async () => {
  root = await makeTempRoot();
  await addGpioChips(root, PI5_GPIO);
  FakeGpio.created = [];
  FakeGpio.failWith = undefined;
  provider = new OnoffGpioProvider({
    sysfsRoot: root,
    pwm: async (pin, o) => {
      pwmCalls.push([pin, o.frequencyHz]);
      return {} as PwmOutput;
    },
    loadLibrary: async () => ({ Gpio: FakeGpio }) as never,
  });
});
afterEach(async () => {
  await removeRoot(root);
});

describe('levels', () => {
  it('inverts for active-low lines', () => {
    expect([
      physicalLevel(0, false),
      physicalLevel(1, false),
      physicalLevel(0, true),
      physicalLevel(1, true),
    ]).toEqual([0, 1, 1, 0]);
    expect(outputDirection(1, false)).toBe('high');
    expect(outputDirection(1, true)).toBe('low');
    expect(outputDirection(0, true)).toBe('high');
  });
});

describe('OnoffGpioProvider outputs', () => {
  it('opens at the initial level through the direction, active_low left 0', async () => {
    const out = await provider.digitalOutput(17, { activeLow: true, initial: 1 });
    const gpio = FakeGpio.created[0]!;
    expect(gpio.number).toBe(588);
    expect(gpio.direction).toBe('low');
    expect(gpio.edge).toBeUndefined();
    expect(gpio.options).toEqual({ activeLow: false, reconfigureDirection: true });
    expect(await out.read()).toBe(1);

    await out.write(0);
    expect(gpio.writes).toEqual([1]);
    expect(await out.read()).toBe(0);
  });

  it('gives the watchdog the value file and the physical level', async () => {
    const inverted = await provider.digitalOutput(17, { activeLow: true, initial: 0 });
    expect(inverted.forcedWrite(0)).toEqual({
      kind: 'file',
      path: '/sys/class/gpio/gpio588/value',
      data: '1',
    });
    expect(inverted.forcedWrite(1)).toEqual({ kind: 'file', path: gpioValuePath(588), data: '0' });
    const plain = await provider.digitalOutput(27, { activeLow: false, initial: 0 });
    expect(plain.forcedWrite(1)).toEqual({ kind: 'file', path: '/sys/class/gpio/gpio598/value', data: '1' });
  });

  it('refuses a line already open, until it is closed', async () => {
    const out = await provider.digitalOutput(17, { activeLow: false, initial: 0 });
    await expect(
      provider.digitalInput(17, { edge: 'both', debounceMs: 0, activeLow: false }),
    ).rejects.toThrow('EBUSY: GPIO 17 (sysfs 588 on pinctrl-rp1) is already open');
    await out.close();
    expect(FakeGpio.created[0]!.unexported).toBe(true);
    await expect(out.write(1)).rejects.toThrow(/closed/);
    await expect(provider.digitalOutput(17, { activeLow: false, initial: 0 })).resolves.toBeDefined();
  });

  it('rejects pins off the chip before loading onoff', async () => {
    let loads = 0;
    const counting = new OnoffGpioProvider({
      sysfsRoot: root,
      pwm: async () => ({}) as PwmOutput,
      loadLibrary: async () => {
        loads++;
        return { Gpio: FakeGpio } as never;
      },
    });
    await expect(counting.digitalOutput(60, { activeLow: false, initial: 0 })).rejects.toThrow(
      /lines 0\.\.53/,
    );
    expect(loads).toBe(0);
  });

  it('explains export failures', async () => {
    FakeGpio.failWith = Object.assign(new Error('EBUSY: resource busy or locked, write'), { code: 'EBUSY' });
    const error = await rejectionOf(provider.digitalOutput(4, { activeLow: false, initial: 0 }));
    expect(error.code).toBe('EBUSY');
    expect(error.message).toContain('GPIO 4 (sysfs 575 on pinctrl-rp1)');
    expect(error.message).toContain('w1-gpio');
    expect(explainExportError(Object.assign(new Error('x'), { code: 'EACCES' }), 'GPIO 1').message).toContain(
      'gpio group',
    );
  });
});

describe('OnoffGpioProvider inputs', () => {
  it('passes edge, debounce and active-low to onoff', async () => {
    await provider.digitalInput(22, { edge: 'rising', debounceMs: 10, activeLow: true });
    const gpio = FakeGpio.created[0]!;
    expect([gpio.number, gpio.direction, gpio.edge]).toEqual([593, 'in', 'rising']);
    expect(gpio.options).toEqual({ debounceTimeout: 10, activeLow: true });
  });

  it('reports edges with a monotonic time at the start of the stable level', async () => {
    const input = await provider.digitalInput(22, { edge: 'both', debounceMs: 20, activeLow: false });
    const gpio = FakeGpio.created[0]!;
    const seen: Array<[number, number]> = [];
    const stop = input.watch((level, atMs) => seen.push([level, atMs]));
    const before = performance.now();
    gpio.listeners[0]!(null, 1);
    gpio.listeners[0]!(new Error('epoll'), 0);
    const after = performance.now();
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBe(1);
    expect(seen[0]![1]).toBeGreaterThanOrEqual(before - 20);
    expect(seen[0]![1]).toBeLessThanOrEqual(after - 20);
    stop();
    expect(gpio.listeners).toHaveLength(0);
  });

  it('refuses to watch a line opened without edges', async () => {
    const input = await provider.digitalInput(22, { edge: 'none', debounceMs: 0, activeLow: false });
    expect(() => input.watch(() => {})).toThrow(/edge 'none'/);
  });

  it('delegates PWM', async () => {
    await provider.pwm(18, { frequencyHz: 100 });
    expect(pwmCalls).toContainEqual([18, 100]);
    expect(FakeGpio.created).toHaveLength(0);
  });
});
