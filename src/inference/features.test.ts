import { describe, expect, it } from 'vitest';
import { buildInput, History, resample } from './features.js';

describe('resample', () => {
  const points = [
    { t: 0, v: 1 },
    { t: 1000, v: 2 },
    { t: 2500, v: 3 },
    { t: 3000, v: null },
  ];

  it('holds the latest value at or before each grid time, oldest first', () => {
    expect(resample(points, 2900, 3, 1000)).toEqual([1, 2, 3]);
    expect(resample(points, 2400, 3, 1000)).toEqual([1, 2, 2]);
  });

  it('marks slots before any sample, after a bad sample, and older than maxAgeMs', () => {
    expect(resample(points, 1000, 3, 1000)).toEqual(['none', 1, 2]);
    expect(resample(points, 3000, 2, 1000)).toEqual([2, 'bad']);
    expect(resample(points, 2400, 3, 1000, 900)).toEqual([1, 2, 'stale']);
  });

  it('a faster grid repeats a value (zero-order hold), a slower one skips values', () => {
    const fast = [0, 100, 200].map((t) => ({ t, v: t }));
    expect(resample(fast, 200, 5, 50)).toEqual([0, 0, 100, 100, 200]);
    expect(resample(fast, 200, 2, 200)).toEqual([0, 200]);
  });
});

describe('History', () => {
  it('keeps the horizon plus the point held at its start, in time order', () => {
    const history = new History(1000);
    for (const t of [0, 400, 800, 1200, 1600]) history.push(t, t);
    expect(history.all.map((p) => p.t)).toEqual([400, 800, 1200, 1600]);
    history.push(1500, -1);
    expect(history.all.map((p) => p.t)).toEqual([400, 800, 1200, 1500, 1600]);
    expect(history.latest()).toEqual({ t: 1600, v: 1600 });
  });
});

describe('buildInput', () => {
  const window = (slots: Array<number | 'none' | 'bad' | 'stale'>) => ({
    label: 'chamber/temperature',
    slots,
    valid: [0, 60] as const,
    scale: { subtract: 37, divide: 2 },
  });

  it('scales every slot, features in order', () => {
    expect(buildInput([window([37, 39]), { ...window([0.5]), scale: { subtract: 0, divide: 1 } }])).toEqual({
      ok: true,
      values: [0, 1, 0.5],
    });
  });

  it.each([
    [[37, 'none'], 'missing', 'chamber/temperature[0]: no sample yet'],
    [['bad', 37], 'missing', 'chamber/temperature[-1]: a bad sample'],
    [[Number.NaN], 'nan', 'chamber/temperature[0]: NaN'],
    [[61], 'out_of_range', 'chamber/temperature[0]: 61 is outside the valid range [0, 60]'],
    [[-0.1], 'out_of_range', 'chamber/temperature[0]: -0.1 is outside the valid range [0, 60]'],
  ] as const)('%j → %s', (slots, reason, message) => {
    expect(buildInput([window([...slots])])).toEqual({ ok: false, problem: { reason, message } });
  });
});
