/**
 * The guardrails of one model in the loop, on real parts: the example heater-policy
 * in a real ONNX Runtime session on the inference thread, the real safety gate with
 * the PWM driver on a simulated line, decisions driven one by one. Inputs out of
 * range, NaN, missing or stale, an output out of range, a timeout and no model all
 * end in the fallback and one event; an interlock's hold beats the model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeModel } from '../../deploy/models/onnx-writer.js';
import { modelsConfigSchema } from '../../src/config/models-schema.js';
import { Hub, type Sample } from '../../src/events/event-hub.js';
import { ModelRunner } from '../../src/inference/model-runner.js';
import { InferenceHost } from '../../src/inference/ort-worker.js';
import { safetyRig } from '../support/safety-rig.js';

const policy = readFileSync(join(import.meta.dirname, '../../deploy/models/heater-policy.onnx'));
const host = new InferenceHost({ threads: 1 });
afterAll(() => host.close());

/** A model too slow for any sane timeout: 40 chained 1500×1500 products. */
/**
 * Slow on any machine: 400 chained MatMuls over a 16 MB weight (1.6 G multiply-adds) take
 * well over 100 ms, far past the 5 ms timeout, however fast the CPU and its cache; a
 * lighter chain fitted in a large L3 cache and finished in time on an idle machine.
 */
function slowModel(): Uint8Array {
  const n = 2000;
  const layers = 400;
  return encodeModel({
    name: 'slow',
    doc: 'slow on purpose',
    inputs: [{ name: 'temperature', type: 'float32', shape: [1, 3] }],
    outputs: [{ name: 'duty', type: 'float32', shape: [1, 1] }],
    initializers: [
      { name: 'in', dims: [3, n], values: new Array(3 * n).fill(0) },
      { name: 'w', dims: [n, n], values: new Array(n * n).fill(0) },
      { name: 'out', dims: [n, 1], values: new Array(n).fill(0) },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['temperature', 'in'], outputs: ['h0'] },
      ...Array.from({ length: layers }, (_, i) => ({
        op: 'MatMul',
        inputs: [`h${i}`, 'w'],
        outputs: [`h${i + 1}`],
      })),
      { op: 'MatMul', inputs: [`h${layers}`, 'out'], outputs: ['duty'] },
    ],
  });
}

function modelConfig(overrides: { valid?: [number, number]; fallback?: unknown; timeoutMs?: number } = {}) {
  return modelsConfigSchema.parse({
    list: [
      {
        name: 'heater-policy',
        everyMs: 1000,
        ...(overrides.timeoutMs ? { timeoutMs: overrides.timeoutMs } : {}),
        inputs: [
          {
            name: 'temperature',
            shape: [1, 3],
            features: [
              {
                channel: 'chamber/temperature',
                window: 3,
                valid: [0, 60],
                scale: { subtract: 37 },
                maxAgeMs: 3000,
              },
            ],
          },
        ],
        outputs: [
          {
            name: 'duty',
            ...(overrides.valid ? { valid: overrides.valid } : {}),
            drive: { actuator: 'heater', ...(overrides.fallback ? { fallback: overrides.fallback } : {}) },
          },
        ],
      },
    ],
  }).list[0]!;
}

let clock: { ms: number };
let keyCount = 0;

async function rig(config = modelConfig(), bytes: Uint8Array = policy) {
  const safety = await safetyRig({ heater: { min: 0, max: 1, maxStep: 0.5, safe: 0 } });
  const runner = new ModelRunner(config, {
    host,
    gate: safety.actuators,
    events: safety.hub,
    samples: new Hub<Sample[]>(() => undefined),
    monoMs: () => clock.ms,
    nowMs: () => clock.ms,
    timeoutMs: 5000,
  });
  const key = `policy-${++keyCount}`;
  await host.load(key, bytes);
  runner.active = { version: '1', sha256: 'x', key };
  /** One sample a second, then a decision. */
  const step = async (v: number | null) => {
    clock.ms += 1000;
    runner.onSamples([{ d: 'chamber', c: 'temperature', t: clock.ms, v }]);
    await runner.decide();
  };
  // A full window before the first decision.
  for (let i = 0; i < 3; i++) {
    clock.ms += 1000;
    runner.onSamples([{ d: 'chamber', c: 'temperature', t: clock.ms, v: 30 }]);
  }
  const heater = () => safety.actuators.get('heater')!.value;
  const fallbacks = () => safety.events.filter((e) => e.type === 'model.fallback');
  return { ...safety, runner, step, heater, fallbacks };
}

beforeEach(() => {
  clock = { ms: 1_000_000 };
});

describe('a model in the loop', () => {
  it('drives the heater through the gate, inside the step limit, as a model', async () => {
    const r = await rig();
    for (let i = 0; i < 2; i++) await r.step(30);
    expect(r.heater()).toBe(1);
    const changes = r.events.filter((e) => e.type === 'actuator.changed');
    expect(changes.map((e) => [e.value, e.source, e.by])).toEqual([
      [0.5, 'model', 'heater-policy@1'],
      [1, 'model', 'heater-policy@1'],
    ]);
    expect(r.fallbacks()).toEqual([]);
  });

  it.each([
    [
      'a value outside the valid range',
      70,
      'out_of_range',
      /chamber\/temperature\[0\]: 70 is outside the valid range \[0, 60\]/,
    ],
    ['NaN', Number.NaN, 'nan', /chamber\/temperature\[0\]: NaN/],
    ['a bad sample', null, 'missing', /chamber\/temperature\[0\]: a bad sample/],
  ])(
    '%s → the fallback (safe value, ramped within the envelope) and one event',
    async (_what, bad, reason, message) => {
      const r = await rig();
      for (let i = 0; i < 2; i++) await r.step(30);
      expect(r.heater()).toBe(1);
      await r.step(bad);
      await r.step(bad);
      await r.step(bad);
      expect(r.heater()).toBe(0);
      expect(r.fallbacks()).toHaveLength(1);
      expect(r.fallbacks()[0]).toMatchObject({
        model: 'heater-policy',
        version: '1',
        reason,
        message: expect.stringMatching(message),
      });
      const writes = r.events.filter((e) => e.type === 'actuator.changed').map((e) => e.value as number);
      expect(writes.every((v) => v >= 0 && v <= 1)).toBe(true);
      // The window is clean again once the last bad value has left it.
      for (let i = 0; i < 3; i++) await r.step(30);
      expect(r.events.filter((e) => e.type === 'model.recovered')).toMatchObject([
        { model: 'heater-policy', after: reason },
      ]);
      expect(r.heater()).toBe(0.5); // back up from the safe value, one step at a time
    },
  );

  it('data that stops arriving goes stale → missing', async () => {
    const r = await rig();
    for (let i = 0; i < 2; i++) await r.step(30);
    clock.ms += 3500;
    await r.runner.decide();
    expect(r.fallbacks()).toMatchObject([
      { reason: 'missing', message: expect.stringMatching(/no sample recent enough/) },
    ]);
  });

  it('an output outside its declared range is an inference error → fallback rule', async () => {
    const fallback = {
      rule: {
        type: 'on-off',
        input: 'chamber/temperature',
        setpoint: 37,
        band: 1,
        onValue: 0.3,
        offValue: 0,
      },
    };
    const r = await rig(modelConfig({ valid: [0, 0.9], fallback }));
    for (let i = 0; i < 2; i++) await r.step(30);
    expect(r.fallbacks()).toMatchObject([
      {
        reason: 'error',
        message: 'output duty[0]: 1 is outside its valid range [0, 0.9]',
        actuators: [{ actuator: 'heater', value: 0.3, via: 'on-off rule on chamber/temperature' }],
      },
    ]);
    expect(r.heater()).toBe(0.3);
  });

  it('a timeout → fallback, and the late result drives nothing', async () => {
    const r = await rig(modelConfig({ timeoutMs: 5 }), slowModel());
    for (let i = 0; i < 2; i++) await r.step(30);
    expect(r.fallbacks()).toMatchObject([{ reason: 'timeout', message: 'inference: no result within 5 ms' }]);
    expect(r.heater()).toBe(0);
  });

  it('no active version → fallback with reason no_model', async () => {
    const r = await rig();
    r.runner.active = undefined;
    for (let i = 0; i < 2; i++) await r.step(30);
    expect(r.fallbacks()).toMatchObject([{ reason: 'no_model', version: null }]);
  });

  it('an interlock holding the heater beats the model: not even a refused write', async () => {
    const r = await rig();
    for (let i = 0; i < 2; i++) await r.step(30);
    await r.actuators.hold('heater', 'door-open', 0);
    const before = r.events.length;
    for (let i = 0; i < 5; i++) await r.step(25);
    expect(r.heater()).toBe(0);
    expect(r.events.slice(before).filter((e) => e.source === 'model')).toEqual([]);
    await r.actuators.release('heater', 'door-open');
    await r.step(25);
    expect(r.heater()).toBe(0.5);
  });
});
