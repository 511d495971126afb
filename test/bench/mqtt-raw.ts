/**
 * The ceiling for the node's telemetry throughput: a bare MQTT.js client publishing
 * QoS 1 to a local Mosquitto as fast as a bounded in-flight window allows (each
 * PUBACK releases the next PUBLISH), no outbox, no disk. The node's outbox-driven
 * figure goes beside it as the ratio. No subscriber: the broker still matches the
 * topic and sends the PUBACK, and the cost of fanning out is not the node's.
 */
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { Mosquitto } from '../support/mosquitto.js';
import { type Benchmark, type BenchResult, percentile } from './harness.js';

const MESSAGES = 20_000;
const WARMUP = 2_000;
const WINDOW = 64;
/** About one telemetry batch of a small node (protocol §Telemetry): ten samples. */
const PAYLOAD = JSON.stringify({
  seq: 4711,
  bootId: '5b0c7e2a-91f3-4c55-a3f1-0f2b9a1c7d11',
  samples: Array.from({ length: 10 }, (_, i) => ({
    d: 'chamber',
    c: `ch${i}`,
    t: 1764300000000 + i,
    v: 23.41,
  })),
});

interface LoopResult {
  perSecond: number;
  latenciesMs: number[];
}

/** Keeps `window` PUBLISHes unacknowledged until `count` have their PUBACK. */
function publishLoop(client: MqttClient, topic: string, count: number, window: number): Promise<LoopResult> {
  return new Promise((resolve, reject) => {
    const latenciesMs: number[] = [];
    let sent = 0;
    let acked = 0;
    const started = performance.now();
    const pump = () => {
      while (sent < count && sent - acked < window) {
        const at = performance.now();
        sent++;
        client.publish(topic, PAYLOAD, { qos: 1 }, (error) => {
          if (error) return reject(error);
          latenciesMs.push(performance.now() - at);
          if (++acked === count)
            resolve({ perSecond: count / ((performance.now() - started) / 1000), latenciesMs });
          else pump();
        });
      }
    };
    pump();
  });
}

export async function run(): Promise<BenchResult[]> {
  const broker = await Mosquitto.start({ persistence: false });
  const client = await mqtt.connectAsync(broker.url, {
    clientId: `bench-mqtt-raw-${process.pid}`,
    clean: false,
    reconnectPeriod: 0,
  });
  try {
    const topic = 'benchloop/v1/bench/raw/telemetry';
    await publishLoop(client, topic, WARMUP, WINDOW);
    const windowed = await publishLoop(client, topic, MESSAGES, WINDOW);
    const stopAndWait = await publishLoop(client, topic, MESSAGES / 10, 1);
    return [
      { name: `QoS 1 publish, window ${WINDOW}`, value: windowed.perSecond, unit: 'msg/s', better: 'higher' },
      {
        name: `PUBACK latency p50, window ${WINDOW}`,
        value: percentile(windowed.latenciesMs, 50),
        unit: 'ms',
      },
      {
        name: `PUBACK latency p99, window ${WINDOW}`,
        value: percentile(windowed.latenciesMs, 99),
        unit: 'ms',
      },
      { name: 'QoS 1 publish, window 1', value: stopAndWait.perSecond, unit: 'msg/s', better: 'higher' },
    ];
  } finally {
    await client.endAsync();
    await broker.cleanup();
  }
}

export const mqttRaw: Benchmark = {
  name: 'mqtt-raw',
  description: `MQTT.js QoS 1 publishes to a local Mosquitto, ${WINDOW} in flight: the ceiling for the outbox`,
  run,
};
