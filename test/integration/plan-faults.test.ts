/**
 * Plans through faults, end to end (real Mosquitto, the daemon a real child process):
 * the broker gone in the middle of a plan and back (the plan keeps its own time and
 * the dataset arrives whole), an interlock tripping mid-plan (the plan ends aborted,
 * its actuators safe), and a SIGKILL mid-plan (the restarted node goes safe, does not
 * resume, reports the plan interrupted where it stopped and publishes the rest of
 * its dataset).
 */
import { describe, expect, it } from 'vitest';
import { stopAfterEach } from '../support/cleanup.js';
import { simLine } from '../support/daemon.js';
import { Mosquitto, type MosquittoSub } from '../support/mosquitto.js';
import { call, exportPlan, NodeEvents, planNodeConfig, startPlan } from '../support/plan-node.js';
import {
  json,
  restartSyncNode,
  root,
  type SyncNode,
  startSyncNode,
  subscribe,
} from '../support/sync-node.js';

const cleanup = stopAfterEach();

async function setup(options: Parameters<typeof planNodeConfig>[1] = {}) {
  const broker = await Mosquitto.start();
  cleanup(() => broker.cleanup());
  // A persistent session: what is published while this subscriber is cut off waits for it.
  const sub = await subscribe(broker, [`${root}/#`], {
    clientId: 'it-orchestrator',
    persistentSession: true,
  });
  cleanup(() => sub.stop());
  const node = startSyncNode(planNodeConfig(broker.url, options));
  cleanup(() => node.daemon.kill('SIGKILL'));
  await sub.waitFor((m) => m.topic === `${root}/status` && json(m).online === true, 'birth');
  return { broker, sub, node, events: new NodeEvents(sub) };
}

/** Every events seq from the first on, none missing (deduplicated). */
function expectNoEventGap(sub: MosquittoSub) {
  const seqs = [...new Set(sub.on(`${root}/events`).map((m) => json<{ seq: number }>(m).seq))].sort(
    (a, b) => a - b,
  );
  expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
}

/** Three channels every 50 ms: a part of 200 rows about every 3.5 s. */
const allChannels = ['chamber/temperature', 'chamber/pressure', 'chamber/humidity'];

describe('plans through faults', () => {
  it('the broker goes away mid-plan and comes back: the plan keeps its time, the dataset arrives complete', async () => {
    const { broker, sub, node, events } = await setup({ periodMs: 50 });
    const planId = await startPlan(broker, sub, 'c-plan', {
      steps: [
        { measure: { channels: allChannels, periodMs: 50, durationMs: 5000, background: true } },
        { ramp: { actuator: 'heater', from: 0, to: 0.5, durationMs: 1000, stepMs: 100 } },
        { hold: { durationMs: 4000 } },
      ],
    });
    await events.waitFor('plan.step', (e) => e.planId === planId && e.kind === 'ramp');
    await broker.stop();
    const cutAt = Date.now();
    // The node finishes on its own clock while nobody hears it (its log says so), on time: 5 s after it started.
    const started = await node.daemon.waitForEvent('plan.started', (e) => e.planId === planId);
    const finishedOffline = await node.daemon.waitForEvent('plan.finished', (e) => e.planId === planId);
    const finishedAt = finishedOffline.event!.t as number;
    expect(finishedAt).toBeGreaterThan(cutAt);
    expect(finishedAt - (started.event!.t as number)).toBeGreaterThanOrEqual(5000);
    expect(finishedAt - (started.event!.t as number)).toBeLessThan(5400);
    await broker.start();
    const finished = await events.waitFor('plan.finished', (e) => e.planId === planId);
    const rows = events.dataset(planId);
    expect(finished).toMatchObject({ state: 'finished', dataset: { samples: rows.length } });
    expect((finished.dataset as { parts: number }).parts).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeGreaterThanOrEqual(280);
    // Sampled right through the outage: no hole in any channel.
    for (const channel of ['temperature', 'pressure', 'humidity']) {
      const times = rows.filter((r) => r.c === channel).map((r) => r.t);
      expect(Math.max(...times.slice(1).map((t, i) => t - times[i]!))).toBeLessThan(200);
    }
    expectNoEventGap(sub);
    const [, ...exported] = (await exportPlan(node.file, planId, 'jsonl')).trimEnd().split('\n');
    expect(exported.map((l) => JSON.parse(l))).toEqual(rows);
  });

  it('an interlock trips mid-plan: the plan ends aborted with the reason, its actuators safe', async () => {
    const { broker, sub, node, events } = await setup({
      interlocks:
        '  - { id: overtemp, when: { channel: chamber/temperature, above: 22.5 }, force: { heater: 0 } }',
    });
    const planId = await startPlan(broker, sub, 'c-plan', {
      steps: [
        {
          measure: { channels: ['chamber/temperature'], periodMs: 100, durationMs: 20_000, background: true },
        },
        { set: { actuator: 'fan', value: 1 } },
        { set: { actuator: 'heater', value: 0.5 } },
        { hold: { durationMs: 20_000 } },
      ],
    });
    await events.waitFor('plan.step', (e) => e.planId === planId && e.index === 2);
    expect(simLine(node.dataDir, 'gpio23')).toBe('1');
    const aborted = await events.waitFor('plan.aborted', (e) => e.planId === planId);
    expect(aborted).toMatchObject({
      state: 'aborted',
      reason: expect.stringMatching(
        /^interlock overtemp tripped \(chamber\/temperature = 22\.[5-9]\d*\): heater forced to 0$/,
      ),
      at: { path: 'steps[3]' },
    });
    expect(simLine(node.dataDir, 'pwm18')).toBe('0');
    expect(simLine(node.dataDir, 'gpio23')).toBe('0');
    const tripped = events.of('interlock.tripped')[0]!;
    expect(tripped).toMatchObject({ interlock: 'overtemp', actuator: 'heater', value: 0 });
    // The dataset runs up to the trip: the last rows are above the limit.
    const rows = events.dataset(planId);
    expect(rows.length).toBe((aborted.dataset as { samples: number }).samples);
    expect(rows.at(-1)!.v).toBeGreaterThan(22.5);
    expect(await call(broker, sub, 'c-status', 'plan.status', { planId })).toMatchObject({
      result: { state: 'aborted', reason: aborted.reason },
    });
  });

  it('SIGKILL mid-plan: the restarted node goes safe, does not resume, reports where it stopped, publishes the rest', async () => {
    const { broker, sub, node, events } = await setup({ periodMs: 50 });
    const planId = await startPlan(broker, sub, 'c-plan', {
      name: 'cycles',
      steps: [
        { measure: { channels: allChannels, periodMs: 50, durationMs: 60_000, background: true } },
        { set: { actuator: 'heater', value: 0.3 } },
        {
          repeat: {
            times: 100,
            steps: [
              { hold: { durationMs: 250, values: { heater: 0.35 } } },
              { hold: { durationMs: 250, values: { heater: 0.3 } } },
            ],
          },
        },
      ],
    });
    // A part is out, more rows are recorded but not yet published: then the power goes.
    await events.waitFor('plan.dataset', (e) => e.planId === planId && e.part === 0);
    await node.daemon.waitForEvent('plan.step', (e) => e.planId === planId && (e.index as number) >= 12);
    node.daemon.kill('SIGKILL');
    await node.daemon.exited;
    const killedAt = Date.now();
    // A GPIO keeps its level when the process dies.
    expect(['0.3', '0.35']).toContain(simLine(node.dataDir, 'pwm18'));
    const stepsBefore = events.of('plan.step', planId).length;

    const again: SyncNode = restartSyncNode(node);
    cleanup(() => again.daemon.kill('SIGKILL'));
    const aborted = await events.waitFor('plan.aborted', (e) => e.planId === planId);
    expect(simLine(node.dataDir, 'pwm18')).toBe('0');
    expect(aborted).toMatchObject({
      name: 'cycles',
      state: 'interrupted',
      reason: expect.stringMatching(
        /^interrupted by restart: the node stopped \(crash, kill or power loss\) during steps\[2\]\.repeat\.steps\[[01]\] \(iteration \d+\)/,
      ),
      at: {
        path: expect.stringMatching(/^steps\[2\]\.repeat\.steps\[[01]\]$/),
        iteration: [expect.any(Number)],
      },
    });
    const rows = events.dataset(planId);
    expect(rows.length).toBe((aborted.dataset as { samples: number }).samples);
    expect(rows.length).toBeGreaterThan(200);
    expect(killedAt - rows.at(-1)!.t).toBeLessThan(1000);

    const status = await call(broker, sub, 'c-status', 'plan.status');
    expect(status).toMatchObject({ ok: true, result: { planId, state: 'interrupted', at: aborted.at } });
    // Not resumed: no step and no heater write of the plan since the restart.
    await events.waitFor('plan.aborted');
    expect(events.of('plan.step', planId).length).toBe(stepsBefore);
    const [head, ...exported] = (await exportPlan(node.file, planId, 'jsonl')).trimEnd().split('\n');
    expect(JSON.parse(head!).provenance).toMatchObject({
      planId,
      state: 'interrupted',
      clock: { end: null },
    });
    expect(exported.map((l) => JSON.parse(l))).toEqual(rows);
    expectNoEventGap(sub);
  });

  it('SIGTERM mid-plan: the plan ends aborted, outputs safe, and its ending is published before the node exits', async () => {
    const { broker, sub, node, events } = await setup();
    const planId = await startPlan(broker, sub, 'c-plan', {
      steps: [{ set: { actuator: 'heater', value: 0.4 } }, { hold: { durationMs: 30_000 } }],
    });
    await events.waitFor('plan.step', (e) => e.planId === planId && e.index === 0);
    node.daemon.kill('SIGTERM');
    expect(await node.daemon.exited).toEqual({ code: 0, signal: null });
    expect(simLine(node.dataDir, 'pwm18')).toBe('0');
    expect(await events.waitFor('plan.aborted', (e) => e.planId === planId)).toMatchObject({
      state: 'aborted',
      reason: 'node stopping (SIGTERM)',
      at: { path: 'steps[1]' },
    });
  });
});
