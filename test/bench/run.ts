/**
 * `npm run bench [-- name…]`: runs the named benchmarks (all by default) and prints
 * each figure beside its same-run baseline; `--json FILE` also writes the results.
 */
import { writeFileSync } from 'node:fs';
import { type Benchmark, type BenchResult, formatResults } from './harness.js';
import { idleRss } from './idle-rss.js';
import { inference } from './inference.js';
import { mqttRaw } from './mqtt-raw.js';
import { outboxStores } from './outbox-stores.js';
import { schedulerJitter } from './scheduler-jitter.js';
import { stateStore } from './state-store.js';
import { syncThroughput } from './sync-throughput.js';

const benchmarks: Benchmark[] = [
  schedulerJitter,
  idleRss,
  outboxStores,
  syncThroughput,
  mqttRaw,
  stateStore,
  inference,
];

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const unknown = args.filter((a) => !benchmarks.some((b) => b.name === a));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(64);
}
const selected = args.length > 0 ? benchmarks.filter((b) => args.includes(b.name)) : benchmarks;
const all: Record<string, BenchResult[]> = {};
for (const benchmark of selected) {
  process.stdout.write(`running ${benchmark.name}: ${benchmark.description}\n`);
  all[benchmark.name] = await benchmark.run();
  process.stdout.write(formatResults(benchmark.name, all[benchmark.name]!));
}
if (jsonFile)
  writeFileSync(jsonFile, `${JSON.stringify({ at: new Date().toISOString(), results: all }, null, 2)}\n`);
