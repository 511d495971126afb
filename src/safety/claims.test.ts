/**
 * Claims: a running plan owns its actuators. Everyone else's `set` is `busy` and
 * moves nothing; interlocks and going safe override a claim as they override
 * everything; a claim is all or nothing.
 */
import { describe, expect, it } from 'vitest';
import { safetyRig } from '../../test/support/safety-rig.js';

const heater = { min: 0, max: 1, maxStep: 0.5, safe: 0 };
const plan = { kind: 'plan', id: 'p-1' } as const;

describe('actuator claims', () => {
  it('lets only the owner write; every other writer gets busy naming the owner, and the line stays', async () => {
    const { gpio, actuators } = await safetyRig({ heater, fan: { min: 0, max: 1, safe: 0 } });
    expect(actuators.claim(['heater'], plan)).toEqual({ ok: true });
    expect(await actuators.set('heater', 0.3, plan)).toMatchObject({ ok: true, value: 0.3 });
    for (const source of [
      { kind: 'command', id: 'c-1' },
      { kind: 'rule', id: 'pid' },
      { kind: 'model' },
      { kind: 'plan', id: 'p-2' },
    ] as const)
      expect(await actuators.set('heater', 0.1, source)).toEqual({
        ok: false,
        code: 'busy',
        message: 'heater is owned by plan p-1 while it runs',
      });
    expect(gpio.dutyCycle(18)).toBe(0.3);
    expect(actuators.get('heater')).toMatchObject({ value: 0.3, ownedBy: 'plan:p-1' });
    // An actuator the plan did not claim is free.
    expect(await actuators.set('fan', 1, { kind: 'command', id: 'c-2' })).toMatchObject({ ok: true });
    actuators.releaseClaim(plan);
    expect(actuators.get('heater')?.ownedBy).toBeUndefined();
    expect(await actuators.set('heater', 0.1, { kind: 'command', id: 'c-3' })).toMatchObject({ ok: true });
  });

  it('claims all or nothing: an unknown actuator, another owner or an interlock hold refuses the whole claim', async () => {
    const { actuators } = await safetyRig({ heater, fan: { min: 0, max: 1, safe: 0 } });
    expect(actuators.claim(['heater', 'ghost'], plan)).toEqual({
      ok: false,
      code: 'not_found',
      message: 'no actuator "ghost"',
    });
    expect(actuators.get('heater')?.ownedBy).toBeUndefined();
    expect(actuators.claim(['fan'], { kind: 'plan', id: 'p-0' })).toEqual({ ok: true });
    expect(actuators.claim(['heater', 'fan'], plan)).toEqual({
      ok: false,
      code: 'busy',
      message: 'fan is owned by plan p-0',
    });
    actuators.releaseClaim({ kind: 'plan', id: 'p-0' });
    await actuators.hold('heater', 'door-open', 0);
    expect(actuators.claim(['heater'], plan)).toEqual({
      ok: false,
      code: 'busy',
      message: 'heater is held by interlock door-open',
    });
  });

  it('an interlock overrides the owner; sendSafe goes safe past the claim and step limits but leaves held outputs to their interlock', async () => {
    const { gpio, actuators, events } = await safetyRig({ heater, fan: { min: 0, max: 1, safe: 0 } });
    actuators.claim(['heater', 'fan'], plan);
    await actuators.set('heater', 0.5, plan);
    await actuators.set('heater', 1, plan);
    await actuators.set('fan', 1, plan);
    await actuators.hold('fan', 'overtemp', 1);
    expect(await actuators.set('fan', 0, plan)).toMatchObject({ ok: false, code: 'busy' });
    await actuators.sendSafe(['heater', 'fan', 'ghost'], { kind: 'safety', id: 'plan p-1 aborted' });
    expect(gpio.dutyCycle(18)).toBe(0);
    expect(actuators.get('fan')?.value).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: 'actuator.changed',
      actuator: 'heater',
      value: 0,
      previous: 1,
      source: 'safety',
      by: 'plan p-1 aborted',
    });
  });
});
