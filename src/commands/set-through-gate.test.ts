/**
 * `set` against the real safety gate (`Actuators` on simulated GPIO): the refusals the
 * gate makes reach the reply with their codes, and `Actuators.set` fits the context
 * as is, so the composition root needs no adapter.
 */
import { describe, expect, it } from 'vitest';
import { safetyRig } from '../../test/support/safety-rig.js';
import { commandsConfigSchema } from '../config/commands-schema.js';
import type { ErrorReply } from '../protocol/messages.js';
import { CommandDispatcher } from './dispatcher.js';
import { fakeNode, memoryJournal, T0 } from './fake-context.test-support.js';

async function gateRig() {
  const { actuators, events } = await safetyRig({
    heater: { min: 0, max: 1, maxStep: 0.5, safe: 0 },
    fan: { min: 0, max: 1, safe: 0 },
  });
  const node = fakeNode();
  node.context.setActuator = (id, value, source) => actuators.set(id, value, source);
  const dispatcher = new CommandDispatcher({
    context: node.context,
    journal: memoryJournal(),
    config: commandsConfigSchema.parse({ remoteSet: ['heater', 'fan', 'ghost'] }),
    emit: () => undefined,
    log: { error: () => undefined },
  });
  let n = 0;
  const set = (actuator: string, value: unknown) =>
    dispatcher.handle(
      Buffer.from(JSON.stringify({ id: `c-${++n}`, name: 'set', args: { actuator, value } })),
      {
        receivedAt: T0,
      },
    );
  return { actuators, events, set };
}

const error = (reply: unknown) => (reply as ErrorReply).error;

describe('set through the real safety gate', () => {
  it('moves the output and reports the change as made by the command', async () => {
    const { set, actuators, events } = await gateRig();
    expect(await set('heater', 0.4)).toMatchObject({
      ok: true,
      result: { actuator: 'heater', value: 0.4, previous: 0 },
    });
    expect(actuators.get('heater')?.value).toBe(0.4);
    expect(events).toMatchObject([
      { type: 'actuator.changed', actuator: 'heater', value: 0.4, source: 'command', by: 'c-1' },
    ]);
  });

  it('maps each refusal of the gate and leaves the output as it was', async () => {
    const { set, actuators } = await gateRig();
    expect(error(await set('heater', 1.7))).toEqual({
      code: 'out_of_range',
      message: 'command c-1 (set): args.value: heater: 1.7 is outside [0, 1]',
    });
    expect(error(await set('heater', 0.9))).toMatchObject({
      code: 'out_of_range',
      message: expect.stringMatching(
        /args.value: heater: a step from 0 to 0.9 is larger than the largest step 0.5/,
      ),
    });
    expect(error(await set('fan', 0.5))).toMatchObject({
      code: 'invalid_args',
      message: expect.stringMatching(/args.value: fan: 0.5 is not a whole number/),
    });
    expect(error(await set('ghost', 0))).toMatchObject({
      code: 'not_found',
      message: 'command c-4 (set): args.actuator: no actuator "ghost"',
    });
    await actuators.hold('heater', 'door-open', 0);
    expect(error(await set('heater', 0.2))).toMatchObject({
      code: 'busy',
      message: 'command c-5 (set): args.actuator: heater is held at 0 by interlock door-open',
    });
    expect(actuators.list().map((a) => a.value)).toEqual([0, 0]);
  });
});
