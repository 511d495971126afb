import { describe, expect, it } from 'vitest';
import { safetyRig } from '../../test/support/safety-rig.js';
import type { InterlockConfig } from '../config/schema.js';
import { checkWrite } from './envelope.js';
import { Interlocks } from './interlocks.js';

const heater = { min: 0, max: 1, maxStep: 0.5, safe: 0 };

describe('envelope', () => {
  it.each([
    [1.2, 'out_of_range', 'heater: 1.2 is outside [0, 1]'],
    [-0.1, 'out_of_range', 'heater: -0.1 is outside [0, 1]'],
    [0.8, 'out_of_range', 'heater: a step from 0.2 to 0.8 is larger than the largest step 0.5'],
    [Number.NaN, 'invalid_args', 'heater: NaN is not a finite number'],
  ])('refuses %s with %s', (value, code, message) => {
    expect(checkWrite('heater', heater, false, 0.2, value, undefined)).toEqual({ code, message });
  });

  it('refuses a change faster than the rate limit and accepts it when slower', () => {
    const envelope = { min: 0, max: 100, maxRatePerS: 2, safe: 0 };
    expect(checkWrite('valve', envelope, false, 10, 20, 1000)?.message).toBe(
      'valve: 10 → 20 in 1000 ms is 10/s, above the limit 2/s',
    );
    expect(checkWrite('valve', envelope, false, 10, 20, 5000)).toBeUndefined();
  });

  it('refuses fractions on an on/off output', () => {
    expect(checkWrite('fan', { min: 0, max: 1, safe: 0 }, true, 0, 0.5, undefined)?.code).toBe(
      'invalid_args',
    );
  });
});

describe('actuator gate', () => {
  it('opens outputs at their safe values and refuses out-of-envelope writes, leaving the line alone', async () => {
    const { gpio, actuators, events } = await safetyRig({ heater: { ...heater, safe: 0.1 } });
    expect(gpio.dutyCycle(18)).toBe(0.1);
    const refused = await actuators.set('heater', 1.5, { kind: 'command', id: 'c-1' });
    expect(refused).toEqual({ ok: false, code: 'out_of_range', message: 'heater: 1.5 is outside [0, 1]' });
    expect(gpio.dutyCycle(18)).toBe(0.1);
    expect(events).toEqual([]);
    expect(await actuators.set('heater', 0.4, { kind: 'command', id: 'c-2' })).toEqual({
      ok: true,
      actuator: 'heater',
      value: 0.4,
      previous: 0.1,
    });
    expect(gpio.dutyCycle(18)).toBe(0.4);
    expect(events[0]).toMatchObject({
      type: 'actuator.changed',
      actuator: 'heater',
      value: 0.4,
      previous: 0.1,
      source: 'command',
    });
    expect(await actuators.set('nope', 1, { kind: 'command' })).toMatchObject({
      ok: false,
      code: 'not_found',
    });
  });

  it('goes safe past the step limit: going safe is never refused', async () => {
    const { gpio, actuators } = await safetyRig({ heater });
    await actuators.set('heater', 0.5, { kind: 'rule' });
    await actuators.set('heater', 1, { kind: 'rule' });
    await actuators.goSafe('test');
    expect(gpio.dutyCycle(18)).toBe(0);
    expect(actuators.get('heater')!.value).toBe(0);
  });
});

describe('interlocks', () => {
  const overtemp: InterlockConfig = {
    id: 'overtemp',
    when: { channel: 'chamber/temperature', above: 40 },
    hysteresis: 1,
    force: { heater: 0 },
    onBadSample: 'trip',
  };
  const sample = (v: number | null) => ({
    d: 'chamber',
    c: 'temperature',
    t: 0,
    v,
    ...(v === null ? { q: 'bad' as const, e: 'EIO' } : {}),
  });

  it('overrides writes while tripped, stays latched inside the hysteresis, releases on clear', async () => {
    const { gpio, actuators, events, hub } = await safetyRig({ heater });
    const interlocks = new Interlocks([overtemp], actuators, hub, () => performance.now());
    await actuators.set('heater', 0.5, { kind: 'rule' });

    interlocks.onSamples([sample(40.5)]);
    await interlocks.settled();
    expect(gpio.dutyCycle(18)).toBe(0);
    expect(events.at(-1)).toMatchObject({
      type: 'interlock.tripped',
      interlock: 'overtemp',
      actuator: 'heater',
      value: 0,
    });

    const refused = await actuators.set('heater', 0.3, { kind: 'command', id: 'c-9' });
    expect(refused).toEqual({
      ok: false,
      code: 'busy',
      message: 'heater is held at 0 by interlock overtemp',
    });
    expect(gpio.dutyCycle(18)).toBe(0);

    interlocks.onSamples([sample(39.5)]);
    await interlocks.settled();
    expect(interlocks.list()[0]!.tripped).toBe(true);

    interlocks.onSamples([sample(38.9)]);
    await interlocks.settled();
    expect(interlocks.list()[0]!.tripped).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'interlock.cleared', interlock: 'overtemp' });
    expect(gpio.dutyCycle(18)).toBe(0);
    expect(await actuators.set('heater', 0.3, { kind: 'command' })).toMatchObject({ ok: true });
  });

  it('trips on a bad sample (fail-safe) and on silence', async () => {
    let now = 0;
    const { gpio, actuators, hub } = await safetyRig({ heater }, () => now);
    const interlocks = new Interlocks([{ ...overtemp, staleAfterMs: 3000 }], actuators, hub, () => now);
    await actuators.set('heater', 0.5, { kind: 'rule' });
    interlocks.onSamples([sample(null)]);
    await interlocks.settled();
    expect(gpio.dutyCycle(18)).toBe(0);
    expect(interlocks.list()[0]).toMatchObject({ tripped: true, reason: 'bad sample: EIO' });

    interlocks.onSamples([sample(25)]);
    await interlocks.settled();
    await actuators.set('heater', 0.5, { kind: 'rule' });
    now = 3001;
    interlocks.checkStale();
    await interlocks.settled();
    expect(interlocks.list()[0]).toMatchObject({ tripped: true, reason: 'no good sample for 3000 ms' });
    expect(gpio.dutyCycle(18)).toBe(0);
  });

  it('a second interlock keeps holding when the first clears', async () => {
    const { gpio, actuators, hub } = await safetyRig({ heater });
    const door: InterlockConfig = {
      ...overtemp,
      id: 'door',
      when: { channel: 'door/level', equals: 1 },
      force: { heater: 0.1 },
    };
    const interlocks = new Interlocks([overtemp, door], actuators, hub, () => performance.now());
    interlocks.onSamples([sample(45), { d: 'door', c: 'level', t: 0, v: 1 }]);
    interlocks.onSamples([sample(30)]);
    await interlocks.settled();
    expect(actuators.get('heater')!.heldBy).toEqual(['door']);
    expect(gpio.dutyCycle(18)).toBe(0.1);
  });
});
