import { describe, expect, it } from 'vitest';
import type { PlanInventory } from './plan-inventory.js';
import { validatePlan } from './plan-validate.js';

const inventory: PlanInventory = {
  actuators: new Map([
    ['heater', { envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 }, integer: false, value: 0 }],
    ['fan', { envelope: { min: 0, max: 1, safe: 0 }, integer: true, value: 0 }],
    ['valve', { envelope: { min: 0, max: 100, maxRatePerS: 2, safe: 0 }, integer: false, value: 10 }],
    ['lamp', { envelope: { min: 0, max: 1, safe: 0 }, integer: true, value: 0 }],
  ]),
  devices: new Map([
    [
      'chamber',
      {
        periodMs: 200,
        channels: new Map([
          ['temperature', 'Cel'],
          ['humidity', '%'],
        ]),
      },
    ],
    ['door', { periodMs: 1000, channels: new Map([['level', '1']]) }],
  ]),
  remoteSet: new Set(['heater', 'fan', 'valve']),
};

const issuesOf = (plan: unknown) => {
  const result = validatePlan(plan, inventory);
  if (result.ok) throw new Error('expected the plan to be refused');
  return result;
};

const rampAndHold = {
  name: 'ramp and hold',
  steps: [
    { measure: { channels: ['chamber/temperature'], periodMs: 200, durationMs: 4000, background: true } },
    { ramp: { actuator: 'heater', from: 0, to: 0.6, durationMs: 1000, stepMs: 200 } },
    { hold: { durationMs: 2000 } },
    { wait: { until: { channel: 'chamber/temperature', above: 30 }, timeoutMs: 5000 } },
    { repeat: { times: 3, steps: [{ set: { actuator: 'fan', value: 1 } }, { wait: { durationMs: 100 } }] } },
  ],
};

describe('validatePlan', () => {
  it('accepts a valid plan and sums it up', () => {
    const result = validatePlan(rampAndHold, inventory);
    expect(result).toMatchObject({
      ok: true,
      summary: {
        actuators: ['heater', 'fan'],
        channels: ['chamber/temperature'],
        steps: 2 + 1 + 1 + 6,
        estimatedMs: 1000 + 2000 + 5000 + 300,
        samples: 21,
      },
    });
  });

  it('lists every mistake of the plan at once, each at its path', () => {
    const result = issuesOf({
      steps: [
        { set: { actuator: 'cooler', value: 1 } },
        { set: { actuator: 'heater', value: 1.5 } },
        { ramp: { actuator: 'heater', from: 0, to: 1, durationMs: 200, stepMs: 200 } },
        { measure: { channels: ['chamber/temperature'], periodMs: 50, durationMs: 1000 } },
        { wait: { until: { channel: 'chamber/co2', above: 1 }, timeoutMs: 1000 } },
        { wiat: { durationMs: 10 } },
        { hold: { durationMs: 'long' } },
      ],
    });
    expect(result.code).toBe('invalid_args');
    expect(result.issues).toEqual([
      { path: 'steps[0].set.actuator', message: 'no actuator "cooler"; actuators: heater, fan, valve, lamp' },
      { path: 'steps[1].set.value', message: 'heater: 1.5 is outside [0, 1]' },
      {
        path: 'steps[2].ramp.stepMs',
        message:
          'heater: 0 → 1 in 1 write(s) is a step of 1 per write, larger than the largest step 0.5: use stepMs ≤ 100 or a longer durationMs',
      },
      {
        path: 'steps[3].measure.periodMs',
        message: '50 ms is faster than device "chamber" samples (every 200 ms): use periodMs ≥ 200',
      },
      {
        path: 'steps[4].wait.until.channel',
        message: 'device "chamber" has no channel "co2" (or it is disabled); channels: temperature, humidity',
      },
      {
        path: 'steps[5].wiat',
        message: expect.stringMatching(/^unknown key "wiat" \(did you mean "wait"\?\)/),
      },
      { path: 'steps[6].hold.durationMs', message: 'found "long" (string); expected a number' },
    ]);
  });

  it('checks steps from the value now and across the boundary of a repeated block', () => {
    expect(
      issuesOf({ steps: [{ ramp: { actuator: 'heater', from: 0.8, to: 0, durationMs: 1000, stepMs: 100 } }] })
        .issues,
    ).toEqual([
      {
        path: 'steps[0].ramp.from',
        message: 'heater: a step from 0 to 0.8 is larger than the largest step 0.5',
      },
    ]);
    const boundary = issuesOf({
      steps: [
        {
          repeat: {
            times: 2,
            steps: [
              { ramp: { actuator: 'heater', from: 0, to: 1, durationMs: 1000, stepMs: 100 } },
              { wait: { durationMs: 100 } },
            ],
          },
        },
      ],
    });
    expect(boundary.issues).toEqual([
      {
        path: 'steps[0].repeat.steps[0].ramp.from',
        message:
          'heater: a step from 1 to 0 is larger than the largest step 0.5 (from the end of one iteration to the start of the next)',
      },
    ]);
  });

  it('checks rates where the plan fixes the time between writes, and not across a wait until', () => {
    const tooFast = issuesOf({
      steps: [
        { ramp: { actuator: 'valve', from: 10, to: 20, durationMs: 1000, stepMs: 100 } },
        { set: { actuator: 'valve', value: 30 } },
      ],
    });
    expect(tooFast.issues).toEqual([
      {
        path: 'steps[0].ramp.durationMs',
        message: 'valve: 10 → 20 in 1000 ms is 10/s, above the limit 2/s: use durationMs ≥ 5000',
      },
      { path: 'steps[1].set.value', message: 'valve: 20 → 30 in 0 ms is 10000000/s, above the limit 2/s' },
    ]);
    const afterWaitUntil = validatePlan(
      {
        steps: [
          { set: { actuator: 'valve', value: 11 } },
          { wait: { until: { channel: 'door/level', equals: 1 }, timeoutMs: 1000 } },
          { set: { actuator: 'valve', value: 12 } },
        ],
      },
      inventory,
    );
    expect(afterWaitUntil.ok).toBe(true);
  });

  it('refuses ramps of on/off outputs, fractions on them, and a channel listed twice', () => {
    expect(
      issuesOf({
        steps: [
          { ramp: { actuator: 'fan', from: 0, to: 1, durationMs: 1000, stepMs: 100 } },
          { hold: { durationMs: 10, values: { fan: 0.5 } } },
          {
            measure: {
              channels: ['door/level', 'door/level', 'pump/flow'],
              periodMs: 1000,
              count: 3,
            },
          },
        ],
      }).issues,
    ).toEqual([
      { path: 'steps[0].ramp.actuator', message: 'fan is an on/off output: it cannot ramp (use set)' },
      { path: 'steps[1].hold.values.fan', message: 'fan: 0.5 is not a whole number (this output is on/off)' },
      { path: 'steps[2].measure.channels[1]', message: '"door/level" is listed twice' },
      { path: 'steps[2].measure.channels[2]', message: 'no device "pump"; devices: chamber, door' },
    ]);
  });

  it('refuses with forbidden, listing the places, when the plan writes an actuator outside commands.remoteSet', () => {
    expect(
      issuesOf({
        steps: [
          { set: { actuator: 'lamp', value: 1 } },
          { set: { actuator: 'heater', value: 9 } },
          { hold: { durationMs: 1, values: { lamp: 0 } } },
        ],
      }),
    ).toEqual({
      ok: false,
      code: 'forbidden',
      issues: [
        {
          path: 'steps[0].set.actuator',
          message: '"lamp" may not be set remotely on this node (commands.remoteSet: heater, fan, valve)',
        },
        {
          path: 'steps[2].hold.values.lamp',
          message: '"lamp" may not be set remotely on this node (commands.remoteSet: heater, fan, valve)',
        },
      ],
    });
  });

  it('explains structural mistakes: a step of two kinds, a wait without timeout, a measure without end, bad nesting', () => {
    const nest = (depth: number): unknown =>
      depth === 0 ? { wait: { durationMs: 1 } } : { repeat: { times: 1, steps: [nest(depth - 1)] } };
    expect(
      issuesOf({
        steps: [
          { set: { actuator: 'heater', value: 0.1 }, wait: { durationMs: 1 } },
          { wait: { until: { channel: 'door/level', equals: 1 } } },
          { measure: { channels: ['door/level'], periodMs: 1000 } },
          {},
          nest(5),
        ],
        extra: 1,
      }).issues,
    ).toEqual([
      {
        path: 'extra',
        message: expect.stringMatching(/^unknown key "extra"; allowed keys: name, steps, onFinish/),
      },
      {
        path: 'steps[0]',
        message: 'a step is exactly one of set, ramp, wait, hold, measure, repeat; found set, wait',
      },
      { path: 'steps[1].wait.timeoutMs', message: 'missing; a wait until a condition needs one' },
      { path: 'steps[2].measure', message: 'a measure has exactly one of durationMs, count; found none' },
      {
        path: 'steps[3]',
        message: 'a step is exactly one of set, ramp, wait, hold, measure, repeat; found none',
      },
      {
        path: 'steps[4].repeat.steps[0].repeat.steps[0].repeat.steps[0].repeat.steps[0].repeat',
        message: 'repeats nested 5 deep; at most 4',
      },
    ]);
  });

  it('bounds the whole plan: executed steps and length', () => {
    const big = issuesOf({
      steps: [
        { repeat: { times: 100_000, steps: [{ wait: { durationMs: 10 } }, { wait: { durationMs: 10 } }] } },
      ],
    });
    expect(big.issues.map((i) => i.message)).toEqual([
      'the plan executes 200000 steps (repeats expanded); at most 100000',
    ]);
    const long = issuesOf({
      steps: [{ repeat: { times: 8, steps: [{ wait: { durationMs: 86_400_000 } }] } }],
    });
    expect(long.issues.map((i) => i.message)).toEqual([
      'the plan lasts 691200000 ms; at most 604800000 ms (7 days)',
    ]);
  });
});
