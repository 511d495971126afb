/**
 * The example models: the committed `.onnx` files are exactly what
 * deploy/models/build-models.ts fits and writes, and each runs in a real ONNX Runtime
 * session on the inference thread giving what its fitted weights say — the standard
 * ops (heater-policy), ai.onnx.ml LinearClassifier (door-anomaly) and standard ops
 * feeding an ai.onnx.ml TreeEnsembleClassifier (heater-fault).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulate, windows } from '../../deploy/models/bench-data.js';
import {
  applyMap,
  buildExampleModels,
  doorFeatures,
  faultInput,
  SETPOINT_C,
} from '../../deploy/models/build-models.js';
import { sigmoid, treePredict } from '../../deploy/models/fit.js';
import { InferenceHost } from '../../src/inference/ort-worker.js';
import { sha256Hex } from '../../src/inference/registry.js';

const dir = join(import.meta.dirname, '../../deploy/models');
const models = buildExampleModels();
const host = new InferenceHost({ threads: 1 });
afterAll(() => host.close());

const f32 = (values: number[], dims: number[]) => ({
  type: 'float32',
  dims,
  data: Float32Array.from(values),
});

describe('example models', () => {
  it.each(Object.keys(models.files))('%s is what the script writes', (name) => {
    expect(sha256Hex(readFileSync(join(dir, name)))).toBe(sha256Hex(models.files[name]!));
  });

  it('heater-policy (MatMul, Add, Clip) computes the fitted control law', async () => {
    await host.load('policy', readFileSync(join(dir, 'heater-policy.onnx')));
    for (const t of [20, 35, 36.5, 37, 37.4, 45]) {
      const x = [t, t, t].map((v) => v - SETPOINT_C);
      const { outputs } = await host.run('policy', { temperature: f32(x, [1, 3]) }, ['duty'], 5000);
      const expected = Math.min(1, Math.max(0, models.policy.gain * (t - SETPOINT_C) + models.policy.bias));
      expect(Number(outputs.duty!.data[0])).toBeCloseTo(expected, 5);
    }
  });

  const held = windows(simulate(2 * 3600, 99), 10);

  it('door-anomaly (ai.onnx.ml LinearClassifier) gives the fitted probabilities on unseen bench data', async () => {
    await host.load('door', readFileSync(join(dir, 'door-anomaly.onnx')));
    for (const { window } of held.filter((_, i) => i % 500 === 0)) {
      const x = doorFeatures(window.slice(-6));
      const { outputs } = await host.run(
        'door',
        { window: f32(x, [1, 12]) },
        ['probabilities', 'label'],
        5000,
      );
      const p = sigmoid(x.reduce((s, v, i) => s + v * models.door.weights[i]!, models.door.intercept));
      expect(Number(outputs.probabilities!.data[1])).toBeCloseTo(p, 4);
      expect(Number(outputs.label!.data[0])).toBe(p > 0.5 ? 1 : 0);
    }
  });

  it('heater-fault (standard ops into an ai.onnx.ml TreeEnsembleClassifier) follows the fitted tree', async () => {
    await host.load('fault', readFileSync(join(dir, 'heater-fault.onnx')));
    let compared = 0;
    for (const { window } of held.filter((_, i) => i % 200 === 0)) {
      const input = faultInput(window);
      const { outputs } = await host.run('fault', { window: f32(input, [1, 20]) }, ['probabilities'], 5000);
      expect(Number(outputs.probabilities!.data[1])).toBeCloseTo(
        treePredict(models.fault.tree, applyMap(models.fault.map, input)),
        4,
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});
