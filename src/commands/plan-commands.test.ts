/**
 * `plan.run`, `plan.abort`, `plan.status` through the dispatcher, on the real plan
 * manager and safety gate: the reply shapes, every problem of a plan at its path
 * under `args.plan`, the remote-write policy, and busy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceDefinitions } from '../../devices/index.js';
import { safetyRig } from '../../test/support/safety-rig.js';
import { commandsConfigSchema } from '../config/commands-schema.js';
import { parseConfig } from '../config/load.js';
import { Hub, type Sample } from '../events/event-hub.js';
import { PlanManager } from '../plans/plan-manager.js';
import type { ErrorReply, OkReply } from '../protocol/messages.js';
import { CommandDispatcher } from './dispatcher.js';
import { fakeNode, memoryJournal, T0 } from './fake-context.test-support.js';

const config = parseConfig(
  `
node: { id: n1, site: lab }
hardware: { backend: sim }
devices: [{ id: chamber, type: bme280, address: 0x76, periodMs: 100 }]
actuators:
  - { id: heater, type: pwm, pin: 18, envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 } }
  - { id: fan, type: relay, pin: 23, envelope: { min: 0, max: 1, safe: 0 } }
commands: { remoteSet: [heater] }
`,
  'node.yaml',
  deviceDefinitions,
);

async function rig(withPlans = true) {
  const { actuators, hub } = await safetyRig({
    heater: { min: 0, max: 1, maxStep: 0.5, safe: 0 },
    fan: { min: 0, max: 1, safe: 0 },
  });
  const plans = new PlanManager({
    dir: mkdtempSync(join(tmpdir(), 'benchloop-plan-commands-')),
    config,
    definitions: deviceDefinitions,
    gate: actuators,
    events: hub,
    samples: new Hub<Sample[]>(() => undefined),
    clock: { nowMs: () => Date.now(), status: { synced: true } },
    bootId: 'boot-1',
    version: '0.1.0',
    configHash: 'c0ffee',
    describe: () => ({
      devices: [{ id: 'chamber', type: 'bme280', channels: [{ id: 'temperature', unit: 'Cel' }] }],
      models: [],
    }),
    durable: async () => undefined,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const node = fakeNode();
  node.context.setActuator = (id, value, source) => actuators.set(id, value, source);
  const dispatcher = new CommandDispatcher({
    context: withPlans ? { ...node.context, plans, planRunning: () => plans.running() } : node.context,
    journal: memoryJournal(),
    config: commandsConfigSchema.parse({ remoteSet: ['heater'] }),
    emit: () => undefined,
    log: { error: () => undefined },
  });
  let n = 0;
  const send = (name: string, args?: object) =>
    dispatcher.handle(Buffer.from(JSON.stringify({ id: `c-${++n}`, name, ...(args ? { args } : {}) })), {
      receivedAt: T0,
    });
  return { send, actuators, plans };
}

const ok = (reply: unknown) => (reply as OkReply<Record<string, unknown>>).result;
const error = (reply: unknown) => (reply as ErrorReply).error;

describe('plan commands', () => {
  it('plan.run answers the planId at once; status follows it; a set of its actuator is busy; abort ends it', async () => {
    const { send, actuators, plans } = await rig();
    const started = ok(
      await send('plan.run', {
        plan: {
          name: 'warm',
          steps: [{ set: { actuator: 'heater', value: 0.3 } }, { hold: { durationMs: 5000 } }],
        },
      }),
    );
    expect(started).toEqual({
      planId: expect.stringMatching(/^p-\d{8}-\d{6}-[0-9a-f]{6}$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      steps: 2,
      estimatedMs: 5000,
    });
    const { planId } = started as { planId: string };
    expect(ok(await send('plan.status'))).toMatchObject({ planId, name: 'warm', state: 'running' });
    expect(error(await send('set', { actuator: 'heater', value: 0.1 }))).toEqual({
      code: 'busy',
      message: `command c-3 (set): args.actuator: heater is owned by plan ${planId} while it runs`,
    });
    expect(error(await send('plan.run', { plan: { steps: [{ wait: { durationMs: 1 } }] } }))).toMatchObject({
      code: 'busy',
      message: expect.stringMatching(
        new RegExp(`^command c-4 \\(plan.run\\): args.plan: plan ${planId} is running`),
      ),
    });
    expect(ok(await send('plan.abort', { planId }))).toEqual({ planId, state: 'aborted' });
    expect(actuators.get('heater')?.value).toBe(0);
    expect(ok(await send('plan.status', { planId }))).toMatchObject({
      state: 'aborted',
      reason: 'aborted by command c-5',
    });
    await plans.settled();
  });

  it('lists every problem of a plan under args.plan, and moves nothing', async () => {
    const { send, actuators } = await rig();
    const reply = await send('plan.run', {
      plan: {
        steps: [
          { set: { actuator: 'heater', value: 3 } },
          { measure: { channels: ['chamber/co2'], periodMs: 100, count: 2 } },
          { ramp: { actuator: 'heater', from: 0, to: 1, durationMs: 100, stepMs: 100 } },
        ],
      },
    });
    expect(error(reply)).toEqual({
      code: 'invalid_args',
      message:
        'command c-1 (plan.run): args.plan.steps[0].set.value: heater: 3 is outside [0, 1]; args.plan.steps[1].measure.channels[0]: device "chamber" has no channel "co2" (or it is disabled); channels: temperature; args.plan.steps[2].ramp.stepMs: heater: 0 → 1 in 1 write(s) is a step of 1 per write, larger than the largest step 0.5: use stepMs ≤ 50 or a longer durationMs',
      issues: [
        { path: 'args.plan.steps[0].set.value', message: 'heater: 3 is outside [0, 1]' },
        {
          path: 'args.plan.steps[1].measure.channels[0]',
          message: 'device "chamber" has no channel "co2" (or it is disabled); channels: temperature',
        },
        {
          path: 'args.plan.steps[2].ramp.stepMs',
          message:
            'heater: 0 → 1 in 1 write(s) is a step of 1 per write, larger than the largest step 0.5: use stepMs ≤ 50 or a longer durationMs',
        },
      ],
    });
    expect(actuators.list().map((a) => a.value)).toEqual([0, 0]);
  });

  it('a plan that writes an actuator outside commands.remoteSet is forbidden; a plan that is not a mapping is invalid', async () => {
    const { send } = await rig();
    expect(
      error(await send('plan.run', { plan: { steps: [{ set: { actuator: 'fan', value: 1 } }] } })),
    ).toEqual({
      code: 'forbidden',
      message:
        'command c-1 (plan.run): args.plan.steps[0].set.actuator: "fan" may not be set remotely on this node (commands.remoteSet: heater)',
      issues: [
        {
          path: 'args.plan.steps[0].set.actuator',
          message: '"fan" may not be set remotely on this node (commands.remoteSet: heater)',
        },
      ],
    });
    expect(error(await send('plan.run', { plan: [] }))).toMatchObject({
      code: 'invalid_args',
      message: 'command c-2 (plan.run): args.plan: found a list; expected a mapping',
    });
    expect(error(await send('plan.abort', { planId: 'p-20250101-000000-abcdef' }))).toEqual({
      code: 'not_found',
      message: 'command c-3 (plan.abort): args.planId: no plan "p-20250101-000000-abcdef" on this node',
    });
    expect(ok(await send('plan.status'))).toEqual({ planId: null, state: 'idle' });
  });

  it('on a node without plans the commands say so', async () => {
    const { send } = await rig(false);
    expect(error(await send('plan.status'))).toEqual({
      code: 'failed',
      message: 'command c-1 (plan.status): this node runs no plans',
    });
  });
});
