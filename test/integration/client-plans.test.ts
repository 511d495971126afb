/**
 * Following plans, client side, against a scripted peer on a real Mosquitto: a small
 * fake node plays the protocol's part, so the client's handling of orderings the real
 * node rarely produces is pinned down: it answers `plan.run`, `plan.status` and `plan.abort`, and
 * publishes `plan.started`, `plan.step`… `plan.finished` or `plan.aborted` on
 * `R/events` with a growing `seq` — `plan.started` before the reply (the node's
 * events go through its outbox and may overtake it), and one batch twice (a QoS 1
 * duplicate). The end-to-end test against the real daemon is client-plans-node.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type PlanEvent, PlanTimeoutError } from '../../src/client/index.js';
import { cmdTopic, eventsTopic, replyTopic, statusTopic } from '../../src/protocol/index.js';
import { MqttLink } from '../../src/sync/mqtt-link.js';
import type { Mosquitto } from '../support/mosquitto.js';
import { connectClient, ctl, NODE, startBroker, stopAll } from './client-helpers.js';

afterEach(stopAll);

/** What the fake does with a plan: `{steps: n}` runs n steps; `abortAt` aborts there; `hang` never ends. */
interface FakePlan {
  steps: number;
  abortAt?: number;
  hang?: boolean;
}

class FakePlanNode {
  private seq = 0;
  private plans = 0;
  private readonly states = new Map<string, string>();

  private constructor(private readonly link: MqttLink) {}

  static async start(broker: Mosquitto): Promise<FakePlanNode> {
    const link = new MqttLink({ url: broker.url, clientId: 'fake-plan-node' });
    const fake = new FakePlanNode(link);
    link.onMessage((_topic, payload) => void fake.onCommand(JSON.parse(payload.toString())));
    void link.subscribe(cmdTopic(NODE), 1);
    link.start();
    await link.whenConnected();
    const birth = {
      online: true,
      session: 1,
      bootId: 'fake',
      version: '0',
      ts: Date.now(),
      clock: { synced: true },
      devices: [],
      actuators: [],
      models: [],
    };
    await link.publish(statusTopic(NODE), JSON.stringify(birth), { qos: 1, retain: true });
    return fake;
  }

  stop(): Promise<void> {
    return this.link.end({ timeoutMs: 1000 });
  }

  private reply(id: string, result: unknown) {
    return this.link.publish(replyTopic(NODE), JSON.stringify({ id, ok: true, result, ts: Date.now() }));
  }

  private async events(...events: Array<Record<string, unknown>>): Promise<string> {
    const batch = JSON.stringify({
      seq: ++this.seq,
      bootId: 'fake',
      events: events.map((e) => ({ t: Date.now(), ...e })),
    });
    await this.link.publish(eventsTopic(NODE), batch);
    return batch;
  }

  private async onCommand(command: { id: string; name: string; args?: Record<string, unknown> }) {
    const { id, name, args = {} } = command;
    if (name === 'plan.status')
      return this.reply(id, {
        planId: args.planId,
        state: this.states.get(args.planId as string) ?? 'unknown',
      });
    if (name === 'plan.abort') {
      this.states.set(args.planId as string, 'aborted');
      await this.events({ type: 'plan.aborted', planId: args.planId, reason: 'aborted by command' });
      return this.reply(id, { planId: args.planId, state: 'aborted' });
    }
    if (name !== 'plan.run') return;
    const plan = args.plan as FakePlan;
    const planId = `p-${++this.plans}`;
    this.states.set(planId, 'running');
    // An unrelated plan's event first: a follower must match by planId.
    await this.events({ type: 'plan.step', planId: 'p-other', step: 9 });
    await this.events({ type: 'plan.started', planId, steps: plan.steps });
    await this.reply(id, { planId });
    for (let step = 1; step <= plan.steps; step++) {
      if (step === plan.abortAt) {
        this.states.set(planId, 'aborted');
        await this.events({ type: 'plan.aborted', planId, step, reason: 'interlock door-open' });
        return;
      }
      const batch = await this.events({ type: 'plan.step', planId, step, of: plan.steps });
      // The same message again, as QoS 1 may deliver it after a reconnect.
      if (step === 1) await this.link.publish(eventsTopic(NODE), batch);
    }
    if (plan.hang) return;
    this.states.set(planId, 'finished');
    await this.events({ type: 'plan.finished', planId });
  }
}

async function setup() {
  const broker = await startBroker();
  const fake = await FakePlanNode.start(broker);
  const client = await connectClient(broker);
  return { broker, fake, client };
}

describe('client: plans (scripted peer)', () => {
  it('runs a plan and follows it to plan.finished: events matched by planId, in order, each once', async () => {
    const { client, fake } = await setup();
    const seen: PlanEvent[] = [];
    const result = await client.node(NODE).runPlan({ steps: 3 }, { onEvent: (e) => seen.push(e) });
    expect(result.outcome).toBe('finished');
    expect(result.planId).toBe('p-1');
    expect(result.events.map((e) => [e.type, e.step])).toEqual([
      ['plan.started', undefined],
      ['plan.step', 1],
      ['plan.step', 2],
      ['plan.step', 3],
      ['plan.finished', undefined],
    ]);
    expect(seen).toEqual(result.events);
    expect(result.final?.type).toBe('plan.finished');
    await fake.stop();
  });

  it('a plan aborted on the node ends as aborted, with its reason; one that ended before following comes from plan.status', async () => {
    const { client, fake } = await setup();
    const lab = client.node(NODE);
    const aborted = await lab.runPlan({ steps: 5, abortAt: 2 });
    expect(aborted).toMatchObject({
      outcome: 'aborted',
      final: { type: 'plan.aborted', reason: 'interlock door-open' },
    });
    const later = await lab.followPlan(aborted.planId);
    expect(later).toMatchObject({ outcome: 'aborted', status: { state: 'aborted' } });
    await fake.stop();
  });

  it('following with a bound: PlanTimeoutError while it runs; plan.abort ends it', async () => {
    const { client, fake } = await setup();
    const lab = client.node(NODE);
    const { planId } = await client.plans.start(NODE, { steps: 1, hang: true });
    const bounded = await lab.followPlan(planId, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(bounded).toBeInstanceOf(PlanTimeoutError);
    const following = lab.followPlan(planId);
    expect(await lab.abortPlan(planId)).toEqual({ planId, state: 'aborted' });
    // Whether the abort came before the follower's plan.status or after, the end is seen.
    const ended = await following;
    expect(ended.outcome).toBe('aborted');
    expect(ended.final?.reason ?? ended.status?.state).toMatch(/aborted/);
    await fake.stop();
  });

  it('ctl run-plan: progress on stderr, the result on stdout; exit 0 finished, 4 aborted', async () => {
    const { broker, fake } = await setup();
    const finished = await ctl(['run-plan', 'test/it-node', '-', '--url', broker.url, '--json'], {
      stdin: JSON.stringify({ steps: 2 }),
    });
    expect(finished.code).toBe(0);
    expect(JSON.parse(finished.stdout)).toMatchObject({ outcome: 'finished', planId: 'p-1' });
    const progress = finished.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).progress?.type);
    expect(progress).toEqual(['plan.started', 'plan.step', 'plan.step', 'plan.finished']);

    const aborted = await ctl(['run-plan', 'test/it-node', '-', '--url', broker.url], {
      stdin: 'steps: 3\nabortAt: 1\n',
    });
    expect(aborted.code).toBe(4);
    expect(aborted.stdout).toMatch(/plan p-2 aborted: interlock door-open/);
    expect(aborted.stderr).toMatch(/plan p-2: started/);
    await fake.stop();
  });
});
