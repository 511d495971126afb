/**
 * Plans end to end over a real Mosquitto on the simulated incubator, the daemon a
 * real child process, mosquitto_pub/mosquitto_sub as the orchestrator: a
 * ramp-and-hold plan whose dataset is what the node measured and what the bench's
 * physics did, exported with its provenance; a plan with five mistakes refused with
 * five errors; an abort by command.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/plans/canonical-json.js';
import { stopAfterEach } from '../support/cleanup.js';
import { simLine } from '../support/daemon.js';
import { Mosquitto } from '../support/mosquitto.js';
import {
  call,
  exportPlan,
  modelTemperature,
  NodeEvents,
  parseCsvExport,
  planNodeConfig,
  type Row,
  startPlan,
} from '../support/plan-node.js';
import { json, root, startSyncNode, subscribe } from '../support/sync-node.js';

const cleanup = stopAfterEach();

async function setup() {
  const broker = await Mosquitto.start();
  cleanup(() => broker.cleanup());
  const sub = await subscribe(broker, [`${root}/#`]);
  cleanup(() => sub.stop());
  const node = startSyncNode(planNodeConfig(broker.url));
  cleanup(() => node.daemon.kill('SIGKILL'));
  await sub.waitFor((m) => m.topic === `${root}/status` && json(m).online === true, 'birth');
  return { broker, sub, node, events: new NodeEvents(sub) };
}

const rampAndHold = {
  name: 'ramp and hold',
  steps: [
    { measure: { channels: ['chamber/temperature'], periodMs: 100, durationMs: 3000, background: true } },
    { ramp: { actuator: 'heater', from: 0, to: 0.5, durationMs: 1000, stepMs: 100 } },
    { hold: { durationMs: 2000 } },
  ],
};

describe('plans', () => {
  it('a ramp-and-hold plan: its dataset is what the node measured and what the simulated chamber did', async () => {
    const { broker, sub, node, events } = await setup();
    const planId = await startPlan(broker, sub, 'c-plan', rampAndHold);
    const finished = await events.waitFor('plan.finished', (e) => e.planId === planId);
    const rows = events.dataset(planId);
    expect(finished).toMatchObject({
      planId,
      name: 'ramp and hold',
      state: 'finished',
      stepsDone: 3,
      dataset: { samples: rows.length },
    });
    expect(events.of('plan.started', planId)).toHaveLength(1);
    expect(events.of('plan.step', planId).map((e) => [(e.at as { path: string }).path, e.kind])).toEqual([
      ['steps[0]', 'measure'],
      ['steps[1]', 'ramp'],
      ['steps[2]', 'hold'],
    ]);

    // About one sample per 100 ms for 3 s (a loaded machine makes the device skip a slot now and then: the
    // check that none is lost is the telemetry comparison below), each with its unit and quality.
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(rows.length).toBeLessThanOrEqual(32);
    for (const row of rows)
      expect(row).toMatchObject({ d: 'chamber', c: 'temperature', unit: 'Cel', q: 'good', step: 'steps[0]' });

    // What the node measured: every row is a sample it published as telemetry, and none of the window is missing.
    const telemetry = sub
      .on(`${root}/telemetry`)
      .flatMap((m) => json<{ samples: Row[] }>(m).samples)
      .filter((s) => s.c === 'temperature');
    const published = new Map(telemetry.map((s) => [s.t, s.v]));
    for (const row of rows) expect(published.get(row.t)).toBe(row.v);
    const window = telemetry.filter((s) => s.t >= rows[0]!.t && s.t <= rows.at(-1)!.t);
    expect(window.length).toBe(rows.length);

    // What the chamber did: the heater went 0 → 0.5 in steps of 0.05 and back to safe, and the temperature
    // follows the bench's thermal model for that duty history. Seen: within 0.03 K over a 2.2 K rise; the
    // bound allows the bench's 100 ms step at the steepest slope (1 K/s) plus some scheduling delay.
    const duty = events
      .of('actuator.changed')
      .filter((e) => e.actuator === 'heater')
      .map((e) => ({ t: e.t, value: e.value as number, source: e.source }));
    expect(duty.filter((d) => d.source === 'plan').map((d) => d.value)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => (0.5 * k) / 10),
    );
    expect(duty.at(-1)).toMatchObject({ value: 0, source: 'safety' });
    for (const row of rows) expect(Math.abs(row.v! - modelTemperature(duty, row.t))).toBeLessThan(0.15);
    expect(rows.at(-1)!.v! - rows[0]!.v!).toBeGreaterThan(1.5);
    expect(simLine(node.dataDir, 'pwm18')).toBe('0');

    // Exported on the node with its provenance: the same rows.
    const csv = parseCsvExport(await exportPlan(node.file, planId, 'csv'));
    expect(csv.header).toBe('t,time,device,channel,value,unit,quality,error,step,iteration');
    expect(csv.rows.map((r) => [Number(r[0]), Number(r[4])])).toEqual(rows.map((r) => [r.t, r.v]));
    const described = (await call(broker, sub, 'c-describe', 'describe')).result as {
      bootId: string;
      configHash: string;
    };
    expect(Object.fromEntries(csv.provenance)).toMatchObject({
      format: 'benchloop.dataset/1',
      planId,
      name: 'ramp and hold',
      planSha256: sha256Hex(canonicalJson(rampAndHold)),
      plan: JSON.stringify(rampAndHold),
      command: 'c-plan',
      'node.site': 'test',
      'node.id': 'it-node',
      bootId: described.bootId,
      configHash: described.configHash,
      'software.name': 'benchloop',
      'devices[0].type': 'bme280',
      'devices[0].bus': '1',
      'devices[0].address': '0x76',
      'devices[0].channels[0].id': 'temperature',
      'devices[0].channels[0].unit': 'Cel',
      'devices[0].channels[0].calibration': 'null',
      'devices[0].channels[0].measured': 'true',
      models: '[]',
      'clock.start.synced': expect.stringMatching(/^(true|false)$/),
      'clock.end.synced': expect.stringMatching(/^(true|false)$/),
      state: 'finished',
      samples: String(rows.length),
    });
    const [first, ...jsonRows] = (await exportPlan(node.file, planId, 'jsonl')).trimEnd().split('\n');
    expect(JSON.parse(first!).provenance).toMatchObject({ planId, plan: rampAndHold, state: 'finished' });
    expect(jsonRows.map((l) => JSON.parse(l))).toEqual(rows);
  });

  it('a plan with five distinct mistakes is refused with five errors, and nothing moves', async () => {
    const { broker, sub, node, events } = await setup();
    const reply = await call(broker, sub, 'c-bad', 'plan.run', {
      plan: {
        steps: [
          { set: { actuator: 'cooler', value: 1 } },
          { set: { actuator: 'heater', value: 1.5 } },
          { ramp: { actuator: 'heater', from: 0, to: 1, durationMs: 200, stepMs: 200 } },
          { measure: { channels: ['chamber/temperature'], periodMs: 50, durationMs: 1000 } },
          { wait: { until: { channel: 'chamber/co2', above: 400 }, timeoutMs: 1000 } },
        ],
      },
    });
    expect(reply).toMatchObject({ id: 'c-bad', ok: false, error: { code: 'invalid_args' } });
    const { issues, message } = reply.error as {
      issues: Array<{ path: string; message: string }>;
      message: string;
    };
    expect(issues.map((i) => i.path)).toEqual([
      'args.plan.steps[0].set.actuator',
      'args.plan.steps[1].set.value',
      'args.plan.steps[2].ramp.stepMs',
      'args.plan.steps[3].measure.periodMs',
      'args.plan.steps[4].wait.until.channel',
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      'no actuator "cooler"; actuators: heater, fan',
      'heater: 1.5 is outside [0, 1]',
      expect.stringMatching(
        /^heater: 0 → 1 in 1 write\(s\) is a step of 1 per write, larger than the largest step 0.5/,
      ),
      '50 ms is faster than device "chamber" samples (every 100 ms): use periodMs ≥ 100',
      expect.stringMatching(/^device "chamber" has no channel "co2"/),
    ]);
    expect(message).toMatch(
      /^command c-bad \(plan.run\): args.plan.steps\[0\].set.actuator: no actuator "cooler"/,
    );
    await events.waitFor('command.rejected', (e) => e.id === 'c-bad');
    expect(events.all().filter((e) => e.type.startsWith('plan.') || e.type === 'actuator.changed')).toEqual(
      [],
    );
    expect(simLine(node.dataDir, 'pwm18')).toBe('0');
    expect(existsSync(join(node.dataDir, 'plans'))).toBe(false);
  });

  it('abort by command: the plan owns the heater until then; plan.abort sends it safe and ends the plan', async () => {
    const { broker, sub, node, events } = await setup();
    const planId = await startPlan(broker, sub, 'c-long', {
      steps: [
        {
          measure: { channels: ['chamber/temperature'], periodMs: 200, durationMs: 30_000, background: true },
        },
        { set: { actuator: 'heater', value: 0.4 } },
        { hold: { durationMs: 30_000 } },
      ],
    });
    await events.waitFor('plan.step', (e) => e.planId === planId && e.index === 1);
    expect(simLine(node.dataDir, 'pwm18')).toBe('0.4');
    expect(await call(broker, sub, 'c-set', 'set', { actuator: 'heater', value: 0.1 })).toMatchObject({
      ok: false,
      error: {
        code: 'busy',
        message: `command c-set (set): args.actuator: heater is owned by plan ${planId} while it runs`,
      },
    });
    expect(
      await call(broker, sub, 'c-second', 'plan.run', { plan: { steps: [{ wait: { durationMs: 1 } }] } }),
    ).toMatchObject({
      ok: false,
      error: { code: 'busy' },
    });
    expect(await call(broker, sub, 'c-status', 'plan.status')).toMatchObject({
      ok: true,
      result: {
        planId,
        state: 'running',
        at: { path: 'steps[2]' },
        progress: { stepsDone: 2, stepsTotal: 3 },
      },
    });

    expect(await call(broker, sub, 'c-abort', 'plan.abort', { planId })).toMatchObject({
      ok: true,
      result: { planId, state: 'aborted' },
    });
    // Safe by the time the reply is out.
    expect(simLine(node.dataDir, 'pwm18')).toBe('0');
    const aborted = await events.waitFor('plan.aborted', (e) => e.planId === planId);
    expect(aborted).toMatchObject({
      state: 'aborted',
      reason: 'aborted by command c-abort',
      at: { path: 'steps[2]' },
    });
    expect((aborted.dataset as { samples: number }).samples).toBe(events.dataset(planId).length);
    expect(await call(broker, sub, 'c-status-2', 'plan.status', { planId })).toMatchObject({
      result: { state: 'aborted', reason: 'aborted by command c-abort' },
    });
    // Released: a command may set the heater again.
    expect(await call(broker, sub, 'c-set-2', 'set', { actuator: 'heater', value: 0.1 })).toMatchObject({
      ok: true,
    });
  });
});
