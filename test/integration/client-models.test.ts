/**
 * Model deployment through the client library and `benchloop ctl deploy-model`,
 * against a real Mosquitto and a real daemon running a model: the file in several
 * chunks (the node asks for 1 KiB ones here), committed, driving the heater; rolled
 * back to the version before; a file that is no model refused with the active
 * version kept. The test models are constant heater policies (as in
 * inference-registry.test.ts), so the heater itself says which version drives.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../../deploy/models/onnx-writer.js';
import { type BenchloopClient, CommandError, type TransferProgress } from '../../src/client/index.js';
import type { Mosquitto } from '../support/mosquitto.js';
import { heaterPolicyModels, nodeConfig, type SyncNode } from '../support/sync-node.js';
import { connectClient, ctl, NODE, startBroker, startNode, stopAll } from './client-helpers.js';

/** Asks for `duty` whatever the temperature; the long doc string makes the file span several 1 KiB chunks. */
function constantPolicy(duty: number): Uint8Array {
  return encodeModel({
    name: `constant-${duty}`,
    doc: `test policy ${'.'.repeat(4000)}`,
    inputs: [{ name: 'temperature', type: 'float32', shape: [1, 3] }],
    outputs: [{ name: 'duty', type: 'float32', shape: [1, 1] }],
    initializers: [
      { name: 'w', dims: [3, 1], values: [0, 0, 0] },
      { name: 'b', dims: [1], values: [duty] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['temperature', 'w'], outputs: ['wx'] },
      { op: 'Add', inputs: ['wx', 'b'], outputs: ['duty'] },
    ],
  });
}

const models = heaterPolicyModels({ chunkSize: 1024 });

let broker: Mosquitto;
let node: SyncNode;
let client: BenchloopClient;

beforeAll(async () => {
  broker = await startBroker();
  client = await connectClient(broker);
  await client.nodes.track();
  node = startNode(nodeConfig({ url: broker.url, extra: models }));
  await client.nodes.waitFor(NODE, (n) => n?.online === true);
});
afterAll(stopAll);

const heaterBy = (by: string, value: number) =>
  node.daemon.waitForEvent('actuator.changed', (e) => e.by === by && e.value === value);
const active = async () =>
  (await client.node(NODE).listModels()).models.filter((m) => m.active).map((m) => m.version);

describe('client: models (real daemon)', () => {
  it('deploys a model in chunks and commits it: it drives the heater; progress is reported', async () => {
    const file = constantPolicy(0.3);
    const progress: TransferProgress[] = [];
    const result = await client.node(NODE).deployModel({
      name: 'heater-policy',
      version: '2',
      file,
      window: 3,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({
      name: 'heater-policy',
      version: '2',
      active: true,
      size: file.byteLength,
    });
    expect(result.chunks).toBe(Math.ceil(file.byteLength / 1024));
    expect(result.chunks).toBeGreaterThanOrEqual(4);
    expect(progress.map((p) => p.phase)).toEqual([
      'begin',
      'chunks',
      ...Array(result.chunks).fill('chunks'),
      'commit',
      'done',
    ]);
    expect(progress.at(-1)).toMatchObject({ sentBytes: file.byteLength, sentChunks: result.chunks });
    await heaterBy('heater-policy@2', 0.3);
    expect(await active()).toEqual(['2']);
  });

  it('rolls back to the version active before', async () => {
    expect(await client.node(NODE).rollbackModel('heater-policy')).toEqual({
      name: 'heater-policy',
      version: '1',
    });
    expect(await active()).toEqual(['1']);
  });

  it('a file that is not a model is refused (failed); the active version stays', async () => {
    const refused = await client
      .node(NODE)
      .deployModel({ name: 'heater-policy', version: 'bad', file: new Uint8Array(3000).fill(7) })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CommandError);
    expect(refused).toMatchObject({ code: 'failed', command: 'model.commit' });
    expect(await active()).toEqual(['1']);
  });

  it('ctl deploy-model: progress as JSON lines on stderr, the result on stdout; a refusal exits 1', async () => {
    const path = join(node.dataDir, '..', 'policy-0.6.onnx');
    writeFileSync(path, constantPolicy(0.6));
    const ok = await ctl([
      'deploy-model',
      'test/it-node',
      'heater-policy',
      '3',
      path,
      '--url',
      broker.url,
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'heater-policy', version: '3', active: true });
    const phases = ok.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).progress.phase);
    expect(phases[0]).toBe('begin');
    expect(phases.at(-1)).toBe('done');
    await heaterBy('heater-policy@3', 0.6);

    writeFileSync(path, 'not a model');
    const bad = await ctl(['deploy-model', 'test/it-node', 'heater-policy', '4', path, '--url', broker.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/model.commit refused: failed/);
    const missing = await ctl([
      'deploy-model',
      'test/it-node',
      'heater-policy',
      '5',
      `${path}.nope`,
      '--url',
      broker.url,
    ]);
    expect(missing.code).toBe(66);
  });
});
