import { describe, expect, it } from 'vitest';
import { MeasureThrottle } from './measure-throttle.js';

const taken = (throttle: MeasureThrottle, times: number[]) => times.filter((t) => throttle.take(t));

describe('MeasureThrottle', () => {
  it('takes every sample when the period is the device period, however late some come', () => {
    expect(taken(new MeasureThrottle(0, 100, 100), [3, 98, 205, 299, 401, 497, 660, 700])).toEqual([
      3, 98, 205, 299, 401, 497, 660, 700,
    ]);
  });

  it('takes one sample per period on the grid, without drift', () => {
    const times = Array.from({ length: 30 }, (_, i) => i * 100 + (i % 3 === 0 ? -20 : 15));
    const kept = taken(new MeasureThrottle(0, 500, 100), times);
    expect(kept).toEqual([-20, 515, 1015, 1480, 2015, 2515]);
  });

  it('skips the slots a silent device missed, fills a slot late, and stays on the grid', () => {
    expect(taken(new MeasureThrottle(1000, 400, 200), [1000, 1200, 1390, 2010, 2200, 2405])).toEqual([
      1000, 1390, 2010, 2200,
    ]);
    expect(taken(new MeasureThrottle(0, 1000, 100), [0, 100, 3050, 3100, 3990, 4000])).toEqual([
      0, 3050, 3990,
    ]);
  });
});
