/**
 * The client and `benchloop ctl run-plan` against the real daemon's plans (issue #6):
 * a plan started, followed to its end, its outcome and events as the node sent them;
 * an abort seen as the end of the plan.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planNodeConfig } from '../support/plan-node.js';
import { connectClient, ctl, NODE, NODE_KEY, startBroker, startNode, stopAll } from './client-helpers.js';

afterEach(stopAll);

const plan = {
  name: 'warm-up',
  steps: [
    { set: { actuator: 'heater', value: 0.5 } },
    { measure: { channels: ['chamber/temperature'], periodMs: 100, count: 5 } },
    { set: { actuator: 'heater', value: 0 } },
  ],
};

describe('client plans on the real node', () => {
  it('runs a plan and follows it to its end', async () => {
    const broker = await startBroker();
    startNode(planNodeConfig(broker.url));
    const client = await connectClient(broker);
    await client.nodes.track();
    await client.nodes.waitFor(NODE, (n) => n?.online === true);
    const seen: string[] = [];
    const result = await client
      .node(NODE)
      .runPlan(plan, { onEvent: (e) => seen.push(e.type), timeoutMs: 30_000 });
    expect(result.outcome).toBe('finished');
    expect(result.final).toMatchObject({ type: 'plan.finished', planId: result.planId });
    expect(seen[0]).toBe('plan.started');
    expect(seen).toContain('plan.step');
    expect(seen.at(-1)).toBe('plan.finished');
    expect(await client.node(NODE).planStatus(result.planId)).toMatchObject({
      planId: result.planId,
      state: 'finished',
    });
  });

  it('ctl run-plan: exit 0 when the plan finishes, 4 when it is aborted', async () => {
    const broker = await startBroker();
    const node = startNode(planNodeConfig(broker.url));
    await node.daemon.waitFor((l) => /birth published/.test(l.msg));
    const file = join(node.dataDir, '..', 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    const done = await ctl(['run-plan', NODE_KEY, file, '--url', broker.url, '--json']);
    expect(done.code, done.stderr).toBe(0);
    const first = JSON.parse(done.stdout) as { planId: string };
    expect(first).toMatchObject({ outcome: 'finished' });

    // A plan that waits long enough to be aborted by a second client.
    writeFileSync(
      file,
      JSON.stringify({
        steps: [{ set: { actuator: 'heater', value: 0.4 } }, { wait: { durationMs: 60_000 } }],
      }),
    );
    const running = ctl(['run-plan', NODE_KEY, file, '--url', broker.url, '--json']);
    const client = await connectClient(broker);
    const started = await node.daemon.waitForEvent('plan.started', (e) => e.planId !== first.planId);
    await client.node(NODE).abortPlan(started.event!.planId as string);
    const aborted = await running;
    expect(aborted.code, aborted.stderr).toBe(4);
  });
});
