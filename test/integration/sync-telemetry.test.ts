/**
 * Telemetry over a real Mosquitto: every seq arrives (dedup by seq, never a gap)
 * over 10,000+ samples, through a 10 s broker outage (the node keeps sampling into
 * its outbox and drains in order after), and across a SIGKILL of the daemon.
 */
import { describe, expect, it } from 'vitest';
import { stopAfterEach } from '../support/cleanup.js';
import { Mosquitto, type MosquittoSub } from '../support/mosquitto.js';
import {
  json,
  nodeConfig,
  restartSyncNode,
  root,
  type SyncNode,
  startSyncNode,
  subscribe,
} from '../support/sync-node.js';

type Batch = {
  seq: number;
  bootId: string;
  samples: Array<{ d: string; c: string; t: number; v: number | null }>;
};
const started = stopAfterEach();

async function setup(config: (url: string) => string) {
  const broker = await Mosquitto.start();
  started(() => broker.cleanup());
  // A persistent session: what is published while this subscriber is away waits for it.
  const sub = await subscribe(broker, [`${root}/telemetry`], {
    clientId: 'it-orchestrator',
    persistentSession: true,
  });
  started(() => sub.stop());
  const node = startSyncNode(config(broker.url));
  started(() => node.daemon.kill('SIGKILL'));
  return { broker, sub, node };
}

/** Unique batches by seq, and the seqs as received. */
function received(sub: MosquittoSub) {
  const batches = new Map<number, Batch>();
  for (const m of sub.on(`${root}/telemetry`)) {
    const batch = json<Batch>(m);
    batches.set(batch.seq, batch);
  }
  return batches;
}

const untilSeq = (sub: MosquittoSub, seq: number) =>
  sub.waitFor((m) => m.topic === `${root}/telemetry` && json<Batch>(m).seq >= seq, `telemetry seq ${seq}`);

function expectContiguous(batches: Map<number, Batch>) {
  const seqs = [...batches.keys()].sort((a, b) => a - b);
  expect(seqs[0]).toBe(1);
  expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
}

const fastDevices = [0, 1, 2, 3, 4]
  .map(
    (i) =>
      `  - { id: d${i}, type: bme280, bus: ${1 + Math.floor(i / 2)}, address: ${i % 2 ? '0x77' : '0x76'}, periodMs: 10 }`,
  )
  .join('\n');

describe('telemetry', () => {
  it('seq is contiguous over 10,000+ samples', async () => {
    const { sub } = await setup((url) => nodeConfig({ url, devices: fastDevices }));
    await sub.waitFor(() => {
      let samples = 0;
      for (const b of received(sub).values()) samples += b.samples.length;
      return samples >= 10_000;
    }, '10,000 samples');
    const batches = received(sub);
    expectContiguous(batches);
    const samples = [...batches.values()].flatMap((b) => b.samples);
    expect(samples.length).toBeGreaterThanOrEqual(10_000);
    // Per device and channel, time never goes backwards.
    for (const key of new Set(samples.map((s) => `${s.d}/${s.c}`))) {
      const times = samples.filter((s) => `${s.d}/${s.c}` === key).map((s) => s.t);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
  });

  it('broker stopped for 10 s mid-stream and restarted: after dedup by seq, no sample missing', async () => {
    const { broker, sub } = await setup((url) => nodeConfig({ url, periodMs: 100 }));
    await untilSeq(sub, 3);
    await broker.stop();
    // The outage itself: ten seconds during which the node keeps sampling.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const restartedAt = Date.now();
    await broker.restart();
    await sub.waitFor(
      (m) => m.topic === `${root}/telemetry` && json<Batch>(m).samples.some((s) => s.t > restartedAt + 1000),
      'fresh samples',
    );
    const batches = received(sub);
    expectContiguous(batches);
    const times = [...batches.values()]
      .flatMap((b) => b.samples)
      .filter((s) => s.c === 'temperature')
      .map((s) => s.t)
      .sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Sampled every 100 ms throughout: no hole where the broker was away.
    expect(Math.max(...gaps)).toBeLessThan(400);
    expect(times.filter((t) => t > restartedAt - 10_000 && t < restartedAt).length).toBeGreaterThan(80);
  });

  it('daemon SIGKILLed mid-stream and restarted: seq carries on with no gap', async () => {
    const { sub, node } = await setup((url) => nodeConfig({ url, periodMs: 50 }));
    await untilSeq(sub, 5);
    node.daemon.kill('SIGKILL');
    await node.daemon.exited;
    const before = Math.max(...received(sub).keys());
    const again: SyncNode = restartSyncNode(node);
    started(() => again.daemon.kill('SIGKILL'));
    await untilSeq(sub, before + 5);
    const batches = received(sub);
    expectContiguous(batches);
    expect(new Set([...batches.values()].map((b) => b.bootId)).size).toBe(2);
  });
});
