import { describe, expect, it } from 'vitest';
import { calibrate, createPipeline } from './filters.js';

const run = (pipeline: ReturnType<typeof createPipeline>, values: number[], stepMs = 1000) =>
  values.map((v, i) => pipeline(v, i * stepMs));

describe('channel pipeline', () => {
  it('calibrates by offset/scale and by two points (a pH probe: 0 mV = pH 7, 177.5 mV = pH 4)', () => {
    expect(calibrate(10, { offset: -0.5, scale: 2 })).toBe(19.5);
    const ph = {
      points: [
        [0, 7],
        [0.1775, 4],
      ] as [[number, number], [number, number]],
    };
    expect(calibrate(0, ph)).toBe(7);
    expect(calibrate(0.1775, ph)).toBe(4);
    expect(calibrate(0.05917, ph)).toBeCloseTo(6, 3);
  });

  it('moving average and median over a sliding window', () => {
    expect(run(createPipeline(undefined, [{ movingAverage: { window: 3 } }]), [3, 6, 9, 12])).toEqual([
      3, 4.5, 6, 9,
    ]);
    expect(run(createPipeline(undefined, [{ median: { window: 3 } }]), [1, 100, 2, 3, 4])).toEqual([
      1, 50.5, 2, 3, 3,
    ]);
  });

  it('exponential average', () => {
    expect(run(createPipeline(undefined, [{ exponential: { alpha: 0.5 } }]), [10, 20, 20])).toEqual([
      10, 15, 17.5,
    ]);
  });

  it('deadband suppresses changes within delta, and passes after maxSilenceMs anyway', () => {
    const values = [20, 20.05, 20.2, 20.25, 20.25, 20.25];
    expect(run(createPipeline(undefined, [{ deadband: { delta: 0.1 } }]), values)).toEqual([
      20,
      undefined,
      20.2,
      undefined,
      undefined,
      undefined,
    ]);
    expect(
      run(createPipeline(undefined, [{ deadband: { delta: 0.1, maxSilenceMs: 3000 } }]), values),
    ).toEqual([20, undefined, 20.2, undefined, undefined, 20.25]);
  });

  it('throttle passes at most one value per interval', () => {
    expect(
      run(createPipeline(undefined, [{ throttle: { minIntervalMs: 2500 } }]), [1, 2, 3, 4, 5, 6]),
    ).toEqual([1, undefined, undefined, 4, undefined, undefined]);
  });

  it('applies calibration first, then filters in order; a suppressed value stops the chain', () => {
    const pipeline = createPipeline({ offset: 0, scale: 10 }, [
      { median: { window: 3 } },
      { deadband: { delta: 5 } },
    ]);
    // ×10 → 10, 12, 90, 11, 20; median → 10, 11, 12, 12, 20; deadband 5 passes 10 and 20.
    expect(run(pipeline, [1, 1.2, 9, 1.1, 2])).toEqual([10, undefined, undefined, undefined, 20]);
  });
});
