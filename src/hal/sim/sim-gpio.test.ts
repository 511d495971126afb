import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DigitalInputOptions, Level } from '../../device-kit/index.js';
import { edgeIncludes } from '../debounce.js';
import { SimGpio } from './sim-gpio.js';

let stateDir: string;
let sim: SimGpio;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'sim-gpio-'));
  sim = new SimGpio({ stateDir });
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(stateDir, { recursive: true, force: true });
});

const fileText = (name: string) => readFileSync(join(stateDir, name), 'utf8');

describe('digital outputs', () => {
  it('open at the initial level and write the physical level to gpio<pin> on every write', async () => {
    const out = await sim.digitalOutput(17, { activeLow: false, initial: 1 });
    expect(fileText('gpio17')).toBe('1');
    await out.write(0);
    expect(fileText('gpio17')).toBe('0');
    expect(sim.outputLevel(17)).toBe(0);
    expect(await out.read()).toBe(0);
  });

  it('keep the physical level in the file when active-low, and the logical level in read()', async () => {
    const out = await sim.digitalOutput(22, { activeLow: true, initial: 1 });
    expect(fileText('gpio22')).toBe('0');
    expect(await out.read()).toBe(1);
    await out.write(0);
    expect(sim.outputLevel(22)).toBe(1);
    expect(await out.read()).toBe(0);
  });

  it('describe a forced write as the file write the backend itself performs', async () => {
    const out = await sim.digitalOutput(5, { activeLow: true, initial: 0 });
    expect(out.forcedWrite(1)).toEqual({ kind: 'file', path: join(stateDir, 'gpio5'), data: '0' });
    expect(out.forcedWrite(0)).toEqual({ kind: 'file', path: join(stateDir, 'gpio5'), data: '1' });
    expect(() => out.forcedWrite(2 as Level)).toThrow(RangeError);
  });

  it('see a forced write another thread performs while the main loop is blocked', async () => {
    const out = await sim.digitalOutput(6, { activeLow: false, initial: 1 });
    const forced = out.forcedWrite(0);
    if (forced.kind !== 'file') throw new Error('expected a file write');
    const done = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       require('node:fs').writeFileSync(workerData.path, workerData.data);
       Atomics.store(workerData.done, 0, 1);
       Atomics.notify(workerData.done, 0);`,
      { eval: true, workerData: { path: forced.path, data: forced.data, done } },
    );
    // The main thread blocks as a stalled event loop would; only the worker can write meanwhile.
    expect(Atomics.wait(done, 0, 0, 10_000)).not.toBe('timed-out');
    expect(await out.read()).toBe(0);
    expect(sim.outputLevel(6)).toBe(0);
    await worker.terminate();
  });

  it('keep their level after close, as a released line does, and for a new process on the same state', async () => {
    const out = await sim.digitalOutput(13, { activeLow: false, initial: 1 });
    await out.close();
    expect(sim.outputLevel(13)).toBe(1);
    expect(new SimGpio({ stateDir }).outputLevel(13)).toBe(1);
    await expect(out.write(0)).rejects.toThrow(/GPIO 13 is closed/);
  });

  it('name the pin when a reader asks for a line that was never an output', () => {
    expect(() => sim.outputLevel(9)).toThrow(/GPIO 9/);
  });
});

describe('PWM outputs', () => {
  it('start a never-used line at 0 and write the duty fraction as decimal text to pwm<pin>', async () => {
    const pwm = await sim.pwm(18, { frequencyHz: 1000 });
    expect(fileText('pwm18')).toBe('0');
    await pwm.setDutyCycle(0.3);
    expect(fileText('pwm18')).toBe('0.3');
    expect(pwm.dutyCycle()).toBe(0.3);
    expect(sim.dutyCycle(18)).toBe(0.3);
    expect(sim.frequencyHz(18)).toBe(1000);
  });

  it('round-trip fractions exactly through the file', async () => {
    const pwm = await sim.pwm(12, { frequencyHz: 50 });
    await pwm.setDutyCycle(0.1 + 0.2);
    expect(pwm.dutyCycle()).toBe(0.1 + 0.2);
  });

  it('leave a level a previous owner left, until the new owner writes', async () => {
    writeFileSync(join(stateDir, 'pwm19'), '0.75');
    const pwm = await sim.pwm(19, { frequencyHz: 1000 });
    expect(pwm.dutyCycle()).toBe(0.75);
  });

  it('describe forced writes and see them', async () => {
    const pwm = await sim.pwm(13, { frequencyHz: 1000 });
    const forced = pwm.forcedWrite(0.125);
    expect(forced).toEqual({ kind: 'file', path: join(stateDir, 'pwm13'), data: '0.125' });
    if (forced.kind === 'file') writeFileSync(forced.path, forced.data);
    expect(pwm.dutyCycle()).toBe(0.125);
  });

  it('reject fractions outside 0..1 and non-positive frequencies', async () => {
    const pwm = await sim.pwm(12, { frequencyHz: 1000 });
    await expect(pwm.setDutyCycle(1.5)).rejects.toThrow(RangeError);
    expect(() => pwm.forcedWrite(-0.1)).toThrow(RangeError);
    await expect(sim.pwm(13, { frequencyHz: 0 })).rejects.toThrow(/GPIO 13/);
  });
});

describe('line ownership', () => {
  it('refuses a second owner of a pin, naming the pin, until the first closes', async () => {
    const out = await sim.digitalOutput(17, { activeLow: false, initial: 0 });
    await expect(sim.digitalOutput(17, { activeLow: false, initial: 0 })).rejects.toThrow(/GPIO 17/);
    await expect(sim.pwm(17, { frequencyHz: 1000 })).rejects.toThrow(/GPIO 17 is already open as output/);
    await expect(sim.digitalInput(17, inputOptions())).rejects.toThrow(/GPIO 17/);
    await out.close();
    await out.close();
    const again = await sim.digitalInput(17, inputOptions());
    await again.close();
    const pwm = await sim.pwm(17, { frequencyHz: 1000 });
    await pwm.close();
    expect(sim.frequencyHz(17)).toBeUndefined();
  });

  it('lets the world drive inputs only', async () => {
    await sim.digitalOutput(4, { activeLow: false, initial: 0 });
    expect(() => sim.drive(4, 1)).toThrow(/GPIO 4 is open as output/);
  });
});

function inputOptions(overrides: Partial<DigitalInputOptions> = {}): DigitalInputOptions {
  return { edge: 'both', debounceMs: 20, activeLow: false, ...overrides };
}

async function watched(pin: number, overrides: Partial<DigitalInputOptions> = {}) {
  const input = await sim.digitalInput(pin, inputOptions(overrides));
  const edges: Array<{ level: Level; atMs: number }> = [];
  const unwatch = input.watch((level, atMs) => edges.push({ level, atMs }));
  return { input, edges, unwatch };
}

describe('digital inputs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('read the driven level, inverted when active-low; an undriven line reads 0', async () => {
    const plain = await sim.digitalInput(23, inputOptions());
    const inverted = await sim.digitalInput(24, inputOptions({ activeLow: true }));
    expect(await plain.read()).toBe(0);
    expect(await inverted.read()).toBe(1);
    sim.drive(23, 1);
    sim.drive(24, 1);
    expect(await plain.read()).toBe(1);
    expect(await inverted.read()).toBe(0);
  });

  it('deliver one edge once the line has been quiet for debounceMs, stamped when the level began', async () => {
    const { edges } = await watched(23);
    const start = performance.now();
    // Contact bounce: five changes 3 ms apart, settling high.
    for (const level of [1, 0, 1, 0, 1] as const) {
      sim.drive(23, level);
      vi.advanceTimersByTime(3);
    }
    expect(edges).toEqual([]);
    // The last change was at +12 ms; the quiet period ends at +32 ms.
    vi.advanceTimersByTime(16);
    expect(edges).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(edges).toEqual([{ level: 1, atMs: start + 12 }]);
  });

  it('ignore a glitch that is back at the old level when the line settles', async () => {
    const { edges } = await watched(23);
    sim.drive(23, 1);
    vi.advanceTimersByTime(5);
    sim.drive(23, 0);
    vi.advanceTimersByTime(100);
    expect(edges).toEqual([]);
  });

  it('deliver only the configured edge, yet track the hidden ones', async () => {
    const { edges } = await watched(23, { edge: 'rising' });
    for (const level of [1, 0, 1] as const) {
      sim.drive(23, level);
      vi.advanceTimersByTime(50);
    }
    expect(edges.map((e) => e.level)).toEqual([1, 1]);
  });

  it('apply the edge to the logical level when active-low', async () => {
    const { edges } = await watched(23, { edge: 'rising', activeLow: true });
    sim.drive(23, 1);
    vi.advanceTimersByTime(50);
    sim.drive(23, 0);
    vi.advanceTimersByTime(50);
    expect(edges.map((e) => e.level)).toEqual([1]);
  });

  it('deliver nothing for edge none, and every change at once for debounceMs 0', async () => {
    const none = await watched(23, { edge: 'none' });
    const immediate = await watched(24, { debounceMs: 0 });
    sim.drive(23, 1);
    sim.drive(24, 1);
    sim.drive(24, 0);
    vi.advanceTimersByTime(100);
    expect(none.edges).toEqual([]);
    expect(immediate.edges.map((e) => e.level)).toEqual([1, 0]);
  });

  it('stop delivering after unwatch, and cancel pending debounce timers on close', async () => {
    const { input, edges, unwatch } = await watched(23);
    unwatch();
    sim.drive(23, 1);
    vi.advanceTimersByTime(50);
    expect(edges).toEqual([]);
    const second = await watched(24);
    sim.drive(24, 1);
    await second.input.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(second.edges).toEqual([]);
    await input.close();
    await expect(input.read()).rejects.toThrow(/GPIO 23 is closed/);
  });

  it('take the level at open as the reference, so a line already high gives no edge', async () => {
    sim.drive(23, 1);
    const { edges } = await watched(23);
    vi.advanceTimersByTime(50);
    expect(edges).toEqual([]);
    sim.drive(23, 0);
    vi.advanceTimersByTime(50);
    expect(edges.map((e) => e.level)).toEqual([0]);
  });
});

describe('pulse trains', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('drive count pulses away from the idle level and resolve when the last one ends', async () => {
    const { edges } = await watched(27, { edge: 'rising', debounceMs: 1 });
    let done = false;
    void sim.pulse(27, 10, 10).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(94);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(edges).toHaveLength(10);
    expect(edges[1]!.atMs - edges[0]!.atMs).toBe(10);
  });

  it('pulse low from an idle-high (open-collector) line', async () => {
    sim.drive(27, 1);
    const { edges } = await watched(27, { edge: 'falling', debounceMs: 1 });
    void sim.pulse(27, 3, 20);
    vi.advanceTimersByTime(100);
    expect(edges.map((e) => e.level)).toEqual([0, 0, 0]);
  });

  it('lose pulses shorter than the debounce time, as a debounced real input does', async () => {
    const { edges } = await watched(27, { edge: 'rising', debounceMs: 20 });
    void sim.pulse(27, 10, 10);
    vi.advanceTimersByTime(200);
    expect(edges).toEqual([]);
  });
});

describe('edgeIncludes', () => {
  it('matches rising to 1, falling to 0, both to either and none to neither', () => {
    expect([edgeIncludes('rising', 1), edgeIncludes('rising', 0)]).toEqual([true, false]);
    expect([edgeIncludes('falling', 1), edgeIncludes('falling', 0)]).toEqual([false, true]);
    expect([edgeIncludes('both', 1), edgeIncludes('both', 0)]).toEqual([true, true]);
    expect([edgeIncludes('none', 1), edgeIncludes('none', 0)]).toEqual([false, false]);
  });
});
