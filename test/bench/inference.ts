/**
 * Local inference (docs/inference.md), each figure beside a baseline from the same run:
 * - a whole decision (windows, tensor, the trip to the inference thread and back,
 *   the gate write) next to a bare `session.run` of the same model on this thread;
 * - decisions per second, back to back;
 * - lateness of a 100 Hz control loop (the scheduler, a sample and a decision per
 *   tick) with the model in the loop, next to the same loop without a model and with
 *   the model's `session.run` called inline on the main thread;
 * - RSS of the daemon on the demo bench with the example models, next to the demo
 *   without them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { modelsConfigSchema } from '../../src/config/models-schema.js';
import { Hub, type Sample } from '../../src/events/event-hub.js';
import { ModelRunner } from '../../src/inference/model-runner.js';
import { InferenceHost } from '../../src/inference/ort-worker.js';
import { PeriodicScheduler } from '../../src/scheduler/periodic-scheduler.js';
import { safetyRig } from '../support/safety-rig.js';
import { type Benchmark, type BenchResult, percentile } from './harness.js';

const root = join(import.meta.dirname, '../../..');
const ort = createRequire(import.meta.url)('onnxruntime-node');
const sessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

const MODELS = {
  'heater-policy': { input: 'temperature', size: 3, valid: [0, 60], output: 'duty' },
  'heater-fault': { input: 'window', size: 20, valid: [0, 60], output: 'probabilities' },
} as const;
type ModelName = keyof typeof MODELS;

const file = (name: ModelName) => readFileSync(join(root, 'deploy/models', `${name}.onnx`));

/** A runner whose one feature (a channel window filling the input) reads `bench/x`, driving the heater or an event. */
function runnerConfig(name: ModelName, everyMs: number) {
  const m = MODELS[name];
  return modelsConfigSchema.parse({
    list: [
      {
        name,
        everyMs,
        inputs: [
          {
            name: m.input,
            shape: [1, m.size],
            features: [{ channel: 'bench/x', window: m.size, valid: m.valid, maxAgeMs: 60_000 }],
          },
        ],
        outputs: [
          name === 'heater-policy'
            ? { name: m.output, drive: { actuator: 'heater' } }
            : { name: m.output, index: 1, drive: { event: 'fault', above: 0.9 } },
        ],
      },
    ],
  }).list[0]!;
}

async function runnerRig(name: ModelName, everyMs: number, host: InferenceHost) {
  const safety = await safetyRig({ heater: { min: 0, max: 1, safe: 0 } });
  // Each sample is one period after the last, so every window is full whatever the real pace.
  const clock = { ms: 0 };
  const runner = new ModelRunner(runnerConfig(name, everyMs), {
    host,
    gate: safety.actuators,
    events: safety.hub,
    samples: new Hub<Sample[]>(() => undefined),
    monoMs: () => clock.ms,
    nowMs: () => Date.now(),
    timeoutMs: 1000,
  });
  await host.load(name, file(name));
  runner.active = { version: '1', sha256: '', key: name };
  let k = 0;
  const feed = () => {
    clock.ms += everyMs;
    runner.onSamples([{ d: 'bench', c: 'x', t: Date.now(), v: 30 + 10 * Math.sin(k++ / 50) }]);
  };
  for (let i = 0; i < MODELS[name].size; i++) feed();
  return { runner, feed };
}

async function bareRunUs(name: ModelName, iterations: number): Promise<number> {
  const session = await ort.InferenceSession.create(file(name), sessionOptions);
  const m = MODELS[name];
  const feeds = { [m.input]: new ort.Tensor('float32', new Float32Array(m.size).fill(30), [1, m.size]) };
  for (let i = 0; i < 200; i++) await session.run(feeds);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await session.run(feeds);
  const us = ((performance.now() - started) * 1000) / iterations;
  await session.release();
  return us;
}

async function decisionUs(name: ModelName, iterations: number, host: InferenceHost): Promise<number> {
  const { runner, feed } = await runnerRig(name, 1000, host);
  for (let i = 0; i < 200; i++) {
    feed();
    await runner.decide();
  }
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    feed();
    await runner.decide();
  }
  if (runner.stats.fallbacks > 0)
    throw new Error(`${name}: ${runner.stats.fallbacks} fallbacks in the benchmark`);
  return ((performance.now() - started) * 1000) / iterations;
}

/** Lateness of a 100 Hz scheduler task that feeds a sample and starts a decision (`mode`) each tick. */
async function loopLateness(
  mode: 'none' | 'worker' | 'inline',
  host: InferenceHost,
  durationMs: number,
): Promise<number[]> {
  const { runner, feed } = await runnerRig('heater-fault', 10, host);
  const session =
    mode === 'inline' ? await ort.InferenceSession.create(file('heater-fault'), sessionOptions) : undefined;
  const feeds = { window: new ort.Tensor('float32', new Float32Array(20).fill(30), [1, 20]) };
  const scheduler = new PeriodicScheduler();
  scheduler.add({
    id: 'loop',
    periodMs: 10,
    run: async () => {
      feed();
      if (mode === 'worker') void runner.decide();
      if (session) await session.run(feeds);
      return undefined;
    },
  });
  scheduler.start();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  await scheduler.stop();
  await session?.release();
  return scheduler.lateness.snapshot();
}

async function daemonRssMiB(config: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'benchloop-bench-'));
  const args = [
    'dist/src/cli/main.js',
    'run',
    '--config',
    config,
    '--data-dir',
    dataDir,
    '--no-pretty',
    '--summary-every',
    '0',
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve) => lines.on('line', (l) => /benchloop running/.test(l) && resolve()));
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return kib / 1024;
}

export const inference: Benchmark = {
  name: 'inference',
  description:
    'a decision vs a bare session.run, decisions/s, 100 Hz loop lateness with a model, daemon RSS with models',
  async run() {
    const results: BenchResult[] = [];
    const host = new InferenceHost({ threads: 1 });
    try {
      for (const name of Object.keys(MODELS) as ModelName[]) {
        const bare = await bareRunUs(name, 5000);
        const decision = await decisionUs(name, 5000, host);
        results.push({
          name: `${name}: one decision`,
          value: decision,
          unit: 'µs',
          baseline: { name: 'bare session.run', value: bare },
        });
        results.push({
          name: `${name}: decisions/s, back to back`,
          value: 1e6 / decision,
          unit: '/s',
          better: 'higher',
        });
      }
      const none = await loopLateness('none', host, 5000);
      const worker = await loopLateness('worker', host, 5000);
      const inline = await loopLateness('inline', host, 5000);
      for (const p of [50, 99]) {
        results.push({
          name: `100 Hz loop, model on its thread: lateness p${p}`,
          value: percentile(worker, p),
          unit: 'ms',
          baseline: { name: 'no model', value: percentile(none, p) },
        });
        results.push({
          name: `100 Hz loop, session.run inline: lateness p${p}`,
          value: percentile(inline, p),
          unit: 'ms',
          baseline: { name: 'no model', value: percentile(none, p) },
        });
      }
    } finally {
      await host.close();
    }
    const withModels = await daemonRssMiB('deploy/examples/incubator.yaml');
    const without = await daemonRssMiB('deploy/examples/incubator-pid.yaml');
    results.push({
      name: 'daemon RSS, demo bench with 3 models',
      value: withModels,
      unit: 'MiB',
      baseline: { name: 'without models', value: without },
    });
    return results;
  },
};
