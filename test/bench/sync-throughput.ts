/**
 * The node's telemetry path end to end: samples appended to the durable outbox
 * (fsync policy), sealed into batches, published QoS 1 by the outbox publisher over
 * the MQTT link to a local Mosquitto, acknowledged, removed. Beside it in the same
 * run: a raw MQTT.js QoS 1 loop publishing batches of the same size with the same
 * in-flight window, no outbox, no disk. Also: draining a 1,000,000-sample backlog
 * accumulated while the broker was away, and the process RSS under load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { encodePayload, Outbox, type SealedMessage } from '../../src/outbox/index.js';
import { MqttLink } from '../../src/sync/mqtt-link.js';
import { OutboxPublisher } from '../../src/sync/outbox-publisher.js';
import { Mosquitto } from '../support/mosquitto.js';
import type { Benchmark, BenchResult } from './harness.js';

const WINDOW = 32;
const SUSTAIN_MS = 5000;
const BACKLOG = 1_000_000;
const topic = 'benchloop/v1/bench/node/telemetry';

const sample = (i: number) => ({
  d: 'chamber',
  c: 'temperature',
  t: 1_764_300_000_000 + i,
  v: 20 + (i % 1000) / 100,
});

async function withPipeline<T>(
  url: string,
  work: (p: { outbox: Outbox; publisher: OutboxPublisher; link: MqttLink }) => Promise<T>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'benchloop-sync-bench-'));
  const outbox = await Outbox.open({ dir, durability: 'fsync', bootId: 'bench' });
  const link = new MqttLink({ url, clientId: `bench-sync-${process.pid}-${Date.now()}` });
  const publisher = new OutboxPublisher(outbox, 'telemetry', topic, WINDOW);
  try {
    return await work({ outbox, publisher, link });
  } finally {
    publisher.close();
    await link.end();
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const online = async (link: MqttLink, publisher: OutboxPublisher) => {
  link.start();
  await link.whenConnected();
  publisher.resume((t, payload) => link.publish(t, payload, { qos: 1 }));
};

/**
 * Appends for SUSTAIN_MS (as fast as the event loop allows, or paced at `ratePerS`),
 * then waits for the broker to have everything; reports the rate and the peak RSS.
 */
async function sustained(url: string, ratePerS?: number): Promise<{ perS: number; rssMiB: number }> {
  return withPipeline(url, async ({ outbox, publisher, link }) => {
    await online(link, publisher);
    let appended = 0;
    let rss = 0;
    const started = performance.now();
    for (let elapsed = 0; elapsed < SUSTAIN_MS; elapsed = performance.now() - started) {
      const due = ratePerS === undefined ? appended + 2000 : Math.floor((elapsed / 1000) * ratePerS);
      while (appended < due) outbox.append('telemetry', sample(appended++));
      rss = Math.max(rss, process.memoryUsage().rss);
      await new Promise((resolve) =>
        ratePerS === undefined ? setImmediate(resolve) : setTimeout(resolve, 10),
      );
    }
    await outbox.flush();
    await publisher.drained();
    return { perS: appended / ((performance.now() - started) / 1000), rssMiB: rss / 2 ** 20 };
  });
}

/** The same batches, published by a bare MQTT.js client with the same window. */
async function rawBaseline(
  url: string,
  batches: readonly string[],
  samplesPerBatch: number,
): Promise<number> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-raw-${process.pid}` });
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const pump = () => {
      while (sent < batches.length && sent - acked < WINDOW) {
        client.publish(topic, batches[sent++]!, { qos: 1 }, (error) => {
          if (error) return reject(error);
          if (++acked === batches.length) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const perS = (batches.length * samplesPerBatch) / ((performance.now() - started) / 1000);
  await client.endAsync();
  return perS;
}

async function drain(url: string): Promise<{ seconds: number; messages: number }> {
  return withPipeline(url, async ({ outbox, publisher, link }) => {
    for (let i = 0; i < BACKLOG; i++) outbox.append('telemetry', sample(i));
    await outbox.flush();
    const messages = outbox.stats().telemetry.messages;
    const started = performance.now();
    await online(link, publisher);
    await publisher.drained();
    return { seconds: (performance.now() - started) / 1000, messages };
  });
}

export const syncThroughput: Benchmark = {
  name: 'sync-throughput',
  description:
    'samples/s through outbox + MQTT to a local Mosquitto vs a raw MQTT.js QoS 1 loop; 1M-sample backlog drain',
  async run(): Promise<BenchResult[]> {
    const broker = await Mosquitto.start({ persistence: false });
    try {
      // Steady first: the heap a full-speed run grows is not given back to the OS.
      const steady = await sustained(broker.url, 20_000);
      const ours = await sustained(broker.url);
      // The raw loop sends what the outbox would have sealed: the same batches, byte for byte.
      const batches: string[] = [];
      let seq = 1;
      for (let n = 0; n < 200; n++) {
        const items = Array.from({ length: 1000 }, (_, i) => JSON.stringify(sample(n * 1000 + i)));
        const message: SealedMessage = {
          stream: 'telemetry',
          seq: seq++,
          bootId: 'bench',
          createdAt: 0,
          items: 1000,
          body: `[${items.join(',')}]`,
        };
        batches.push(encodePayload(message));
      }
      const raw = await rawBaseline(broker.url, batches, 1000);
      const backlog = await drain(broker.url);
      return [
        {
          name: 'samples/s, outbox (fsync) → broker, acknowledged',
          value: ours.perS,
          unit: '/s',
          better: 'higher',
          baseline: { name: 'raw MQTT.js QoS 1, same batches', value: raw },
        },
        {
          name: `drain a ${BACKLOG.toLocaleString('en')}-sample backlog (${backlog.messages} messages)`,
          value: backlog.seconds,
          unit: 's',
        },
        { name: 'drain rate', value: BACKLOG / backlog.seconds, unit: 'samples/s', better: 'higher' },
        { name: 'peak RSS at 20,000 samples/s (bench process)', value: steady.rssMiB, unit: 'MiB' },
        { name: 'peak RSS at full speed (bench process)', value: ours.rssMiB, unit: 'MiB' },
      ];
    } finally {
      await broker.cleanup();
    }
  },
};
