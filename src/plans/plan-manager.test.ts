/**
 * The plan manager on the real safety gate (simulated lines), real files in a temp
 * folder and real timers (plans of a few hundred ms), with samples fed into the hub
 * as a device would: runs, ownership, aborts, interlock trips, and recovery of a
 * plan a crashed process left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceDefinitions } from '../../devices/index.js';
import { safetyRig } from '../../test/support/safety-rig.js';
import { parseConfig } from '../config/load.js';
import { Hub, type NodeEvent, type Sample } from '../events/event-hub.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { PlanFiles, type PlanState, readRows, scanDataset } from './plan-files.js';
import { PlanManager } from './plan-manager.js';

const config = parseConfig(
  `
node: { id: n1, site: lab }
hardware: { backend: sim }
devices:
  - { id: chamber, type: bme280, address: 0x76, periodMs: 20, channels: { temperature: { calibration: { offset: 0.5 } } } }
actuators:
  - { id: heater, type: pwm, pin: 18, envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 } }
  - { id: fan, type: relay, pin: 23, envelope: { min: 0, max: 1, safe: 0 } }
commands: { remoteSet: [heater, fan] }
`,
  'node.yaml',
  deviceDefinitions,
);

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function rig(dir = mkdtempSync(join(tmpdir(), 'benchloop-plans-'))) {
  const { actuators, hub, events, gpio } = await safetyRig({
    heater: { min: 0, max: 1, maxStep: 0.5, safe: 0 },
    fan: { min: 0, max: 1, safe: 0 },
  });
  const samples = new Hub<Sample[]>((error) => {
    throw error;
  });
  let durable = 0;
  const manager = new PlanManager({
    dir,
    config,
    definitions: deviceDefinitions,
    gate: actuators,
    events: hub,
    samples,
    clock: { nowMs: () => Date.now(), status: { synced: false } },
    bootId: 'boot-1',
    version: '0.1.0',
    configHash: 'c0ffee',
    describe: () => ({
      devices: [
        {
          id: 'chamber',
          type: 'bme280',
          channels: [
            { id: 'temperature', unit: 'Cel' },
            { id: 'humidity', unit: '%' },
          ],
        },
      ],
      models: [{ name: 'door-anomaly', version: '3', sha256: 'ab', active: true }],
    }),
    durable: async () => {
      durable += 1;
    },
    log: { info: () => undefined, warn: () => undefined, error: (detail) => console.error(detail) },
    partLimits: { maxRows: 5, maxBytes: 32 * 1024 },
  });
  // The chamber warms with the heater's duty: a device publishing every 20 ms.
  let temperature = 21;
  const timer = setInterval(() => {
    temperature += gpio.dutyCycle(18) * 0.1;
    samples.publish([
      { d: 'chamber', c: 'temperature', t: Date.now(), v: temperature },
      { d: 'chamber', c: 'humidity', t: Date.now(), v: null, q: 'bad', e: 'humidity: EIO' },
    ]);
  }, 20);
  stops.push(() => clearInterval(timer));
  const until = (type: string, test: (e: NodeEvent) => boolean = () => true) =>
    new Promise<NodeEvent>((resolve) => {
      const seen = events.find((e) => e.type === type && test(e));
      if (seen) resolve(seen);
      const stop = hub.subscribe((e) => {
        if (e.type === type && test(e)) {
          stop();
          resolve(e);
        }
      });
    });
  return { dir, manager, actuators, hub, events, gpio, until, durableCalls: () => durable };
}

const rampAndHold = {
  name: 'ramp and hold',
  steps: [
    {
      measure: {
        channels: ['chamber/temperature', 'chamber/humidity'],
        periodMs: 20,
        durationMs: 400,
        background: true,
      },
    },
    { ramp: { actuator: 'heater', from: 0, to: 0.5, durationMs: 200, stepMs: 50 } },
    { hold: { durationMs: 200 } },
  ],
};

const planIdOf = (reply: Awaited<ReturnType<PlanManager['run']>>) => {
  if (!reply.ok) throw new Error(reply.message);
  return reply.result.planId as string;
};

describe('PlanManager', () => {
  it('runs a plan to its end: events, safe values after, dataset on disk and published in parts, provenance', async () => {
    const { dir, manager, events, gpio, until } = await rig();
    const planId = planIdOf(await manager.run(rampAndHold, 'c-1'));
    expect(planId).toMatch(/^p-\d{8}-\d{6}-[0-9a-f]{6}$/);
    const finished = await until('plan.finished');
    await manager.settled();
    expect(gpio.dutyCycle(18)).toBe(0);
    const files = new PlanFiles(dir, planId);
    const rows = await readRows(files.datasetFile);
    expect(finished).toMatchObject({
      planId,
      name: 'ramp and hold',
      state: 'finished',
      stepsDone: 3,
      dataset: { samples: rows.length, parts: Math.ceil(rows.length / 5) },
    });
    // Every row, bad ones too, with its unit and quality; the parts are the rows, in order, no hole.
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(rows[0]).toMatchObject({
      d: 'chamber',
      c: 'temperature',
      unit: 'Cel',
      q: 'good',
      step: 'steps[0]',
    });
    expect(rows.find((r) => r.c === 'humidity')).toMatchObject({
      v: null,
      unit: '%',
      q: 'bad',
      e: 'humidity: EIO',
    });
    const parts = events.filter((e) => e.type === 'plan.dataset');
    expect(parts.map((p) => p.part)).toEqual([...parts.keys()]);
    expect(parts.flatMap((p) => p.samples as unknown[])).toEqual(rows);
    expect(parts.map((p) => p.first)).toEqual(parts.map((_, i) => i * 5));
    // The heater's writes, as planned, by the plan.
    const writes = events.filter((e) => e.type === 'actuator.changed' && e.source === 'plan');
    expect(writes.map((e) => e.value)).toEqual([0.125, 0.25, 0.375, 0.5]);
    expect(
      events.filter((e) => e.type === 'plan.step').map((e) => [(e.at as { path: string }).path, e.kind]),
    ).toEqual([
      ['steps[0]', 'measure'],
      ['steps[1]', 'ramp'],
      ['steps[2]', 'hold'],
    ]);
    const state = (await files.state.read())!;
    expect(state).toMatchObject({
      state: 'finished',
      reported: true,
      dataset: { published: state.dataset.parts },
    });
    const provenance = JSON.parse(readFileSync(join(files.dir, 'provenance.json'), 'utf8'));
    expect(provenance).toMatchObject({
      format: 'benchloop.dataset/1',
      planId,
      planSha256: sha256Hex(canonicalJson(rampAndHold)),
      plan: rampAndHold,
      command: 'c-1',
      node: { site: 'lab', id: 'n1' },
      software: { name: 'benchloop', version: '0.1.0' },
      devices: [
        {
          id: 'chamber',
          type: 'bme280',
          bus: 1,
          address: '0x76',
          periodMs: 20,
          channels: [
            { id: 'temperature', unit: 'Cel', calibration: { offset: 0.5, scale: 1 }, measured: true },
            { id: 'humidity', unit: '%', calibration: null, measured: true },
          ],
        },
      ],
      models: [{ name: 'door-anomaly', version: '3', active: true }],
      clock: { start: { synced: false }, end: { synced: false }, steps: [] },
      state: 'finished',
      samples: rows.length,
    });
    expect(await manager.status()).toMatchObject({ ok: true, result: { planId, state: 'finished' } });
  });

  it('owns its actuators while it runs: set is busy, a second plan is busy; plan.abort sends them safe', async () => {
    const { manager, actuators, gpio, until } = await rig();
    const planId = planIdOf(
      await manager.run(
        { steps: [{ set: { actuator: 'heater', value: 0.4 } }, { hold: { durationMs: 10_000 } }] },
        'c-1',
      ),
    );
    await until('plan.step');
    expect(await actuators.set('heater', 0.1, { kind: 'command', id: 'c-2' })).toEqual({
      ok: false,
      code: 'busy',
      message: `heater is owned by plan ${planId} while it runs`,
    });
    expect(await manager.run(rampAndHold, 'c-3')).toMatchObject({
      ok: false,
      code: 'busy',
      message: `plan ${planId} is running; one plan runs at a time (plan.abort ends it)`,
    });
    expect(await manager.status()).toMatchObject({
      ok: true,
      result: {
        planId,
        state: 'running',
        at: { path: 'steps[1]', iteration: [] },
        progress: { stepsDone: 1, stepsTotal: 2 },
      },
    });
    expect(gpio.dutyCycle(18)).toBe(0.4);
    expect(await manager.abort(planId, 'c-4')).toEqual({ ok: true, result: { planId, state: 'aborted' } });
    expect(gpio.dutyCycle(18)).toBe(0);
    expect(await until('plan.aborted')).toMatchObject({
      planId,
      state: 'aborted',
      reason: 'aborted by command c-4',
      at: { path: 'steps[1]' },
    });
    expect(await actuators.set('heater', 0.1, { kind: 'command', id: 'c-5' })).toMatchObject({ ok: true });
    expect(await manager.abort(planId, 'c-6')).toEqual({ ok: true, result: { planId, state: 'aborted' } });
    expect(await manager.abort('p-20250101-000000-abcdef', 'c-7')).toMatchObject({
      ok: false,
      code: 'not_found',
    });
  });

  it('an interlock trip on one of its actuators aborts it; the interlock keeps its forced value', async () => {
    const { manager, actuators, hub, until } = await rig();
    const planId = planIdOf(
      await manager.run(
        {
          steps: [
            { set: { actuator: 'fan', value: 1 } },
            { set: { actuator: 'heater', value: 0.5 } },
            { hold: { durationMs: 10_000 } },
          ],
        },
        'c-1',
      ),
    );
    await until('plan.step', (e) => e.index === 1);
    // What Interlocks does on a trip: hold, then the event.
    await actuators.hold('fan', 'overtemp', 1);
    hub.emit('interlock.tripped', {
      interlock: 'overtemp',
      actuator: 'fan',
      value: 1,
      reason: 'chamber/temperature = 41',
    });
    const aborted = await until('plan.aborted');
    expect(aborted).toMatchObject({
      planId,
      reason: 'interlock overtemp tripped (chamber/temperature = 41): fan forced to 1',
    });
    expect(actuators.get('heater')?.value).toBe(0);
    expect(actuators.get('fan')).toMatchObject({ value: 1, heldBy: ['overtemp'] });
  });

  it('refuses a bad plan with every problem and moves nothing, creating no files', async () => {
    const { dir, manager, events } = await rig();
    const reply = await manager.run(
      { steps: [{ set: { actuator: 'heater', value: 2 } }, { wait: {} }] },
      'c-1',
    );
    expect(reply).toMatchObject({
      ok: false,
      code: 'invalid_args',
      issues: [
        { path: 'steps[0].set.value', message: 'heater: 2 is outside [0, 1]' },
        { path: 'steps[1].wait', message: 'a wait has exactly one of durationMs, until; found none' },
      ],
    });
    expect(events).toEqual([]);
    expect(await manager.status()).toEqual({ ok: true, result: { planId: null, state: 'idle' } });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('recovers a plan a crashed process left running: interrupted where it stopped, the rest of its dataset published', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchloop-plans-'));
    const planId = 'p-20251128-031955-ab12cd';
    const files = new PlanFiles(dir, planId);
    await files.create();
    const row = (i: number) => ({
      t: 1000 + i,
      d: 'chamber',
      c: 'temperature',
      v: 20 + i,
      unit: 'Cel',
      q: 'good',
      step: 'steps[0]',
    });
    const state: PlanState = {
      format: 1,
      planId,
      sha256: 'ab',
      commandId: 'c-1',
      bootId: 'boot-0',
      state: 'running',
      startedAt: 1000,
      at: { path: 'steps[1].repeat.steps[0]', iteration: [3] },
      stepsDone: 4,
      stepsTotal: 10,
      estimatedMs: 5000,
      actuators: ['heater'],
      dataset: { samples: 5, parts: null, published: 1 },
      reported: false,
    };
    await files.state.write(state);
    await files.provenance.write({
      format: 'benchloop.dataset/1',
      planId,
      clock: { start: { synced: true } },
    });
    // 12 whole rows and a line torn by the crash.
    writeFileSync(
      files.datasetFile,
      `${Array.from({ length: 12 }, (_, i) => JSON.stringify(row(i))).join('\n')}\n{"t":1012,"d":"cham`,
    );
    const { manager, events, durableCalls } = await rig(dir);
    await manager.recover();
    expect(events.map((e) => [e.type, e.part ?? e.reason])).toEqual([
      ['plan.dataset', 1],
      ['plan.dataset', 2],
      [
        'plan.aborted',
        'interrupted by restart: the node stopped (crash, kill or power loss) during steps[1].repeat.steps[0] (iteration 3); its outputs were set safe at the next start, and the plan was not resumed',
      ],
    ]);
    expect(events.at(-1)).toMatchObject({
      state: 'interrupted',
      at: { path: 'steps[1].repeat.steps[0]', iteration: [3] },
      dataset: { samples: 12, parts: 3 },
    });
    expect(events[1]!.samples).toEqual([row(10), row(11)]);
    expect(durableCalls()).toBeGreaterThan(0);
    expect(await scanDataset(files.datasetFile)).toMatchObject({ torn: false, rowBytes: expect.any(Array) });
    expect((await readRows(files.datasetFile)).length).toBe(12);
    expect(await files.state.read()).toMatchObject({
      state: 'interrupted',
      reported: true,
      dataset: { published: 3 },
    });
    expect(JSON.parse(readFileSync(join(files.dir, 'provenance.json'), 'utf8'))).toMatchObject({
      state: 'interrupted',
      clock: { start: { synced: true }, end: null },
      samples: 12,
    });
    expect(await manager.status()).toMatchObject({ ok: true, result: { planId, state: 'interrupted' } });
    // Reported once: a second start has nothing to say.
    events.length = 0;
    await manager.recover();
    expect(events).toEqual([]);
  });
});
