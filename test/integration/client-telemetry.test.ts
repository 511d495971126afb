/**
 * Telemetry through the client library, against a real Mosquitto and a real daemon:
 * - samples dropped on purpose: a fast node with the smallest outbox (1 MiB) loses
 *   its broker until it drops its oldest data; the client, whose persistent session
 *   held its subscription through the outage, reports the gap in seq and matches it
 *   with the node's `data.dropped` report, whose range is the one the node logged;
 * - two consumers in one shared subscription get every sample exactly once between them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DropReport, Gap, TelemetryMessage } from '../../src/client/index.js';
import { nodeConfig } from '../support/sync-node.js';
import { connectClient, NODE, next, startBroker, startNode, stopAll } from './client-helpers.js';

afterEach(stopAll);

const fastDevices = Array.from(
  { length: 8 },
  (_, i) =>
    `  - { id: d${i}, type: bme280, bus: ${1 + Math.floor(i / 2)}, address: ${i % 2 ? '0x77' : '0x76'}, periodMs: 10 }`,
).join('\n');

describe('client: telemetry', () => {
  it('samples dropped under the outbox bound: the gap is reported and matched with the data.dropped range', async () => {
    const broker = await startBroker();
    // A session the broker keeps across its restart: what the node publishes before this client is back waits for it.
    const client = await connectClient(broker, { clientId: 'it-gap-watcher', sessionExpiryS: 600 });
    const stream = client.watch({ nodes: NODE });
    await stream.ready;
    const seqs: number[] = [];
    const gaps: Gap[] = [];
    const explained: Gap[] = [];
    const drops: DropReport[] = [];
    stream.on('telemetry', (m) => seqs.push(m.seq));
    stream.on('gap', (g) => gaps.push(g));
    stream.on('explained', (g) => explained.push(g));
    stream.on('dropped', (d) => drops.push(d));

    const node = startNode(
      nodeConfig({
        url: broker.url,
        devices: fastDevices,
        extra: 'outbox: { maxStoredBytes: 1048576, batch: { maxAgeMs: 200 } }',
      }),
    );
    await next<TelemetryMessage>(
      (l) => stream.on('telemetry', l),
      (m) => m.seq >= 3,
    );
    await broker.stop();
    const logged = await node.daemon.waitFor(
      (l) => l.msg === 'outbox: messages dropped' && l.stream === 'telemetry',
      'a telemetry drop',
    );
    const lastBefore = Math.max(...seqs);
    await broker.start();

    // Done when a gap was seen and nothing of it is left unexplained.
    const settled = () => gaps.length > 0 && stream.openGaps().length === 0;
    await new Promise<void>((resolve) => {
      const check = () => settled() && resolve();
      stream.on('gap', check);
      stream.on('explained', check);
      check();
    });

    const telemetryDrops = drops.filter((d) => d.stream === 'telemetry');
    // The first drop the client was told of is the one the node logged.
    expect(telemetryDrops[0]).toMatchObject({
      key: 'test/it-node',
      firstSeq: logged.firstSeq,
      lastSeq: logged.lastSeq,
      reason: 'limit',
    });
    const gap = gaps[0]!;
    // Usually lastBefore + 1; later if the broker held a few more for this client through its restart.
    expect(gap.stream).toBe('telemetry');
    expect(gap.firstSeq).toBeGreaterThan(lastBefore);
    // Every seq of the gap lies in a range the node reported dropped.
    for (let seq = gap.firstSeq; seq <= gap.lastSeq; seq++)
      expect(telemetryDrops.some((d) => d.firstSeq <= seq && seq <= d.lastSeq)).toBe(true);
    expect(gaps.every((g) => g.explained) || explained.length > 0).toBe(true);
    expect(stream.stats()['test/it-node']!.telemetry).toMatchObject({
      gaps: gaps.length,
      explained: gaps.length,
    });

    // And after the gap, the stream goes on without another.
    const after = Math.max(...seqs);
    await next<TelemetryMessage>(
      (l) => stream.on('telemetry', l),
      (m) => m.seq >= after + 3,
    );
    expect(stream.openGaps()).toEqual([]);
  }, 60_000);

  it('two consumers in one shared subscription receive every sample exactly once between them', async () => {
    const broker = await startBroker();
    // One on MQTT 5, one on 3.1.1: Mosquitto takes $share on both, as EMQX, HiveMQ and VerneMQ do.
    const workers = await Promise.all([
      connectClient(broker, { protocolVersion: 5 }),
      connectClient(broker, { protocolVersion: 4 }),
    ]);
    const received = workers.map(() => [] as TelemetryMessage[]);
    const streams = workers.map((client, i) => {
      const stream = client.watch({ share: 'workers', events: false });
      stream.on('telemetry', (m) => received[i]!.push(m));
      return stream;
    });
    await Promise.all(streams.map((s) => s.ready));
    expect(streams.every((s) => !s.detectsGaps)).toBe(true);

    startNode(nodeConfig({ url: broker.url, periodMs: 20, extra: 'outbox: { batch: { maxAgeMs: 20 } }' }));
    const count = 60;
    const union = () => new Set(received.flat().map((m) => m.seq));
    await new Promise<void>((resolve) => {
      const check = () => {
        const seen = union();
        if (Array.from({ length: count }, (_, i) => i + 1).every((s) => seen.has(s))) resolve();
      };
      for (const s of streams) s.on('telemetry', check);
    });

    const [a, b] = received.map((r) => r.filter((m) => m.seq <= count));
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    expect(a!.length + b!.length).toBe(count);
    const inBoth = a!.filter((m) => b!.some((n) => n.seq === m.seq));
    expect(inBoth).toEqual([]);
    const samples = [...a!, ...b!].flatMap((m) => m.samples.map((s) => `${s.d}/${s.c}/${s.t}`));
    expect(new Set(samples).size).toBe(samples.length);
  }, 60_000);
});
