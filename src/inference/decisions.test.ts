import { describe, expect, it } from 'vitest';
import { fallbackStep, outputElement, scaleOutput, thresholdStep, withinEnvelope } from './decisions.js';

const envelope = { min: 0, max: 1, maxStep: 0.5, safe: 0 };

describe('outputElement', () => {
  const tensor = { type: 'float32', dims: [1, 2], data: Float32Array.from([0.25, 0.75]) };
  it('picks the element, checks it is finite and in range', () => {
    expect(outputElement('p', tensor, 1)).toEqual({ ok: true, value: 0.75 });
    expect(outputElement('label', { type: 'int64', dims: [1], data: BigInt64Array.from([1n]) }, 0)).toEqual({
      ok: true,
      value: 1,
    });
    expect(outputElement('p', tensor, 2)).toEqual({
      ok: false,
      message: 'output p: no element 2 (it holds 2)',
    });
    expect(outputElement('p', { ...tensor, data: [Number.NaN] }, 0)).toEqual({
      ok: false,
      message: 'output p[0]: NaN',
    });
    expect(outputElement('p', tensor, 1, [0, 0.5])).toEqual({
      ok: false,
      message: 'output p[1]: 0.75 is outside its valid range [0, 0.5]',
    });
    expect(outputElement('q', undefined, 0)).toEqual({
      ok: false,
      message: 'output q: missing from the result',
    });
  });
});

describe('thresholdStep', () => {
  it('raises at the limit and clears only past the hysteresis', () => {
    const t = { above: 0.8, hysteresis: 0.3 };
    const trace: boolean[] = [];
    for (const v of [0.5, 0.8, 0.6, 0.51, 0.5, 0.79, 0.9])
      trace.push(thresholdStep(trace.at(-1) ?? false, v, t));
    expect(trace).toEqual([false, true, true, true, false, false, true]);
  });

  it('works downwards with below', () => {
    expect(thresholdStep(false, 0.25, { below: 0.25, hysteresis: 0.25 })).toBe(true);
    expect(thresholdStep(true, 0.49, { below: 0.25, hysteresis: 0.25 })).toBe(true);
    expect(thresholdStep(true, 0.5, { below: 0.25, hysteresis: 0.25 })).toBe(false);
  });
});

describe('withinEnvelope and scaleOutput', () => {
  it('keeps a request inside the range and the step limit', () => {
    expect(withinEnvelope(1, 0, envelope)).toBe(0.5);
    expect(withinEnvelope(7, 0.8, envelope)).toBe(1);
    expect(withinEnvelope(-3, 0.8, envelope)).toBeCloseTo(0.3);
    expect(withinEnvelope(0.4, 0.2, { min: 0, max: 1, safe: 0 })).toBe(0.4);
    expect(scaleOutput(0.5, { multiply: 2, add: -0.25 })).toBe(0.75);
  });
});

describe('fallbackStep', () => {
  const rule = {
    type: 'on-off' as const,
    input: 'chamber/temperature',
    setpoint: 37,
    band: 1,
    onValue: 0.7,
    offValue: 0,
  };

  it('the safe value, a fixed value, or a rule on the latest good input', () => {
    expect(fallbackStep('safe', envelope, 0.6, undefined, { integral: 0 }).value).toBe(0);
    expect(fallbackStep({ value: 0.2 }, envelope, 0.6, undefined, { integral: 0 }).value).toBe(0.2);
    expect(fallbackStep({ rule }, envelope, 0, { v: 35, t: 0 }, { integral: 0 })).toMatchObject({
      value: 0.7,
      via: 'on-off rule on chamber/temperature',
    });
    expect(fallbackStep({ rule }, envelope, 0.7, { v: 37.2, t: 0 }, { integral: 0 }).value).toBe(0.7);
    expect(fallbackStep({ rule }, envelope, 0.7, { v: 38, t: 0 }, { integral: 0 }).value).toBe(0);
  });

  it('a rule whose input has no good value goes to the safe value', () => {
    expect(fallbackStep({ rule }, envelope, 0.7, undefined, { integral: 0 })).toMatchObject({ value: 0 });
  });

  it('a PID rule keeps its state between steps', () => {
    const pid = {
      type: 'pid' as const,
      input: 'chamber/temperature',
      setpoint: 37,
      kp: 0.1,
      ki: 0.01,
      kd: 0,
    };
    const first = fallbackStep({ rule: pid }, envelope, 0, { v: 36, t: 0 }, { integral: 0 });
    const second = fallbackStep({ rule: pid }, envelope, first.value, { v: 36, t: 1000 }, first.pid);
    expect(second.pid.integral).toBeCloseTo(1);
    expect(second.value).toBeCloseTo(0.11);
  });
});
