import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChannelReading, DeviceFault, type Timing } from '../../src/device-kit/index.js';
import { readChannels, simGpioPerTest } from '../../test/support/device-harness.js';
import { edgeIncludes, edgesPerPulse, pulseRateHz, unionEdge } from './edges.js';
import { definition } from './index.js';

const PIN = 17;

// The backend stamps edges with performance.now(); the runtime's timing must be the same clock.
const timing: Timing = {
  nowMs: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

const sim = simGpioPerTest();

async function started(options: Record<string, unknown> = {}) {
  const driver = definition.create({ gpio: sim(), pin: PIN, timing }, definition.options.parse(options));
  const pushed: ChannelReading[][] = [];
  driver.onChange?.((readings) => pushed.push(readings));
  await driver.init();
  const read = async () => readChannels(await driver.read());
  return { driver, pushed, read };
}

describe('definition', () => {
  it('defaults every option and refuses unknown keys', () => {
    expect(definition.options.parse({})).toEqual({
      edge: 'both',
      debounceMs: 20,
      activeLow: false,
      countEdge: 'rising',
    });
    expect(() => definition.options.parse({ debounce: 5 })).toThrow();
    expect(() => definition.options.parse({ countEdge: 'none' })).toThrow();
  });

  it('declares level, count and rate with UCUM units', () => {
    expect(definition.channels({})).toEqual([
      expect.objectContaining({ id: 'level', unit: '1' }),
      expect.objectContaining({ id: 'count', unit: '1' }),
      expect.objectContaining({ id: 'rate', unit: 'Hz' }),
    ]);
  });
});

describe('door switch', () => {
  it('reads the logical level; active-low turns a closed switch to ground into 1', async () => {
    sim().drive(PIN, 1);
    const { read } = await started({ activeLow: true });
    expect((await read()).level).toBe(0);
    sim().drive(PIN, 0);
    expect((await read()).level).toBe(1);
  });

  it('pushes one level reading per debounced edge, as soon as the bouncing stops', async () => {
    // The door is closed: the reed switch holds the line low, which reads as 1.
    const { pushed } = await started({ activeLow: true, debounceMs: 20 });
    // The door opens: the contact bounces for 8 ms and settles open (pulled up, high).
    for (const level of [1, 0, 1, 0, 1] as const) {
      sim().drive(PIN, level);
      vi.advanceTimersByTime(2);
    }
    vi.advanceTimersByTime(17);
    expect(pushed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(pushed).toEqual([[{ channel: 'level', value: 0 }]]);
    vi.advanceTimersByTime(100);
    expect(pushed).toHaveLength(1);
  });

  it('pushes only the configured edges, and none for edge none', async () => {
    const rising = await started({ edge: 'rising' });
    sim().drive(PIN, 1);
    vi.advanceTimersByTime(50);
    sim().drive(PIN, 0);
    vi.advanceTimersByTime(50);
    expect(rising.pushed.map((r) => r[0]!.value)).toEqual([1]);
    await rising.driver.close!();

    const quiet = await started({ edge: 'none' });
    sim().drive(PIN, 1);
    vi.advanceTimersByTime(50);
    expect(quiet.pushed).toEqual([]);
    expect((await quiet.read()).count).toBe(1);
  });
});

describe('pulse counting', () => {
  it('counts rising edges and gives the pulse rate over the interval since the previous read', async () => {
    const { read } = await started({ debounceMs: 2 });
    void sim().pulse(PIN, 50, 20);
    vi.advanceTimersByTime(1000);
    expect(await read()).toMatchObject({ count: 50, rate: 50 });
    void sim().pulse(PIN, 10, 50);
    vi.advanceTimersByTime(1000);
    expect(await read()).toMatchObject({ count: 60, rate: 10 });
  });

  it('gives rate 0 when no pulse came', async () => {
    const { read } = await started();
    vi.advanceTimersByTime(1000);
    expect(await read()).toMatchObject({ count: 0, rate: 0 });
  });

  it('counts both edges with countEdge both, and still reports pulses per second', async () => {
    const { read } = await started({ debounceMs: 0, countEdge: 'both', edge: 'none' });
    void sim().pulse(PIN, 25, 40);
    vi.advanceTimersByTime(1000);
    expect(await read()).toMatchObject({ count: 50, rate: 25 });
  });

  it('counts falling edges of an idle-high open-collector meter', async () => {
    sim().drive(PIN, 1);
    const { read } = await started({ debounceMs: 0, countEdge: 'falling' });
    void sim().pulse(PIN, 7, 100);
    vi.advanceTimersByTime(1000);
    expect((await read()).count).toBe(7);
  });

  it('counts an edge that began before a read but was delivered after it in the next read', async () => {
    const { read } = await started({ debounceMs: 20 });
    vi.advanceTimersByTime(990);
    sim().drive(PIN, 1);
    vi.advanceTimersByTime(10);
    expect(await read()).toMatchObject({ count: 0, rate: 0 });
    vi.advanceTimersByTime(1000);
    expect(await read()).toMatchObject({ count: 1, rate: 1 });
  });

  it('loses pulses shorter than the debounce time', async () => {
    const { read } = await started({ debounceMs: 20 });
    void sim().pulse(PIN, 100, 10);
    vi.advanceTimersByTime(1100);
    expect((await read()).count).toBe(0);
  });
});

describe('life cycle', () => {
  it('refuses to read before init', async () => {
    const driver = definition.create({ gpio: sim(), pin: PIN, timing }, definition.options.parse({}));
    await expect(driver.read()).rejects.toThrow(DeviceFault);
  });

  it('keeps its line and its count across a second init, and releases the pin on close', async () => {
    const { driver, read } = await started({ debounceMs: 0 });
    sim().drive(PIN, 1);
    await driver.init();
    expect((await read()).count).toBe(1);
    sim().drive(PIN, 0);
    sim().drive(PIN, 1);
    await driver.close!();
    expect(vi.getTimerCount()).toBe(0);
    const again = await sim().digitalInput(PIN, { edge: 'both', debounceMs: 0, activeLow: false });
    await again.close();
  });
});

describe('edge logic', () => {
  it('watches the union of the push and count edges', () => {
    expect(unionEdge('none', 'rising')).toBe('rising');
    expect(unionEdge('rising', 'falling')).toBe('both');
    expect(unionEdge('falling', 'falling')).toBe('falling');
    expect(unionEdge('both', 'rising')).toBe('both');
    expect(unionEdge('none', 'none')).toBe('none');
  });

  it('matches levels to edges', () => {
    expect(edgeIncludes('rising', 1) && !edgeIncludes('rising', 0)).toBe(true);
    expect(edgeIncludes('falling', 0) && !edgeIncludes('falling', 1)).toBe(true);
    expect(edgeIncludes('none', 0) || edgeIncludes('none', 1)).toBe(false);
    expect(edgesPerPulse('both')).toBe(2);
    expect(edgesPerPulse('rising')).toBe(1);
  });
});

describe('pulseRateHz', () => {
  it('counts the unreported edges up to the end of the interval, per second of the interval', () => {
    expect(pulseRateHz([200, 300, 400], 100, 600)).toBe(6);
    expect(pulseRateHz([100, 200, 300, 400], 0, 400)).toBe(10);
    expect(pulseRateHz([100, 200, 300, 400, 401], 0, 400)).toBe(10);
    expect(pulseRateHz([10, 20, 30, 40], 0, 100, 2)).toBe(20);
  });

  it('counts edges stamped before the interval that arrived late', () => {
    expect(pulseRateHz([95, 150], 100, 200)).toBe(20);
  });

  it('is 0 for no edges and for an empty interval', () => {
    expect(pulseRateHz([], 0, 1000)).toBe(0);
    expect(pulseRateHz([5], 10, 10)).toBe(0);
    expect(pulseRateHz([5], 10, 5)).toBe(0);
  });
});
