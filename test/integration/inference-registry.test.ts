import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../../deploy/models/onnx-writer.js';
import { simLine } from '../support/daemon.js';
import { Mosquitto, type MosquittoSub, publishFile } from '../support/mosquitto.js';
import {
  command,
  heaterPolicyModels,
  json,
  nodeConfig,
  replyTo,
  restartSyncNode,
  root,
  type SyncNode,
  startSyncNode,
  subscribe,
} from '../support/sync-node.js';

/** A heater policy that asks for `duty` whatever the temperature. */
function constantPolicy(duty: number, inputs = 3): Uint8Array {
  return encodeModel({
    name: `constant-${duty}`,
    doc: 'test policy',
    inputs: [{ name: 'temperature', type: 'float32', shape: [1, inputs] }],
    outputs: [{ name: 'duty', type: 'float32', shape: [1, 1] }],
    initializers: [
      { name: 'w', dims: [inputs, 1], values: new Array(inputs).fill(0) },
      { name: 'b', dims: [1], values: [duty] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['temperature', 'w'], outputs: ['wx'] },
      { op: 'Add', inputs: ['wx', 'b'], outputs: ['duty'] },
    ],
  });
}

const models = heaterPolicyModels();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const _tmp = mkdtempSync(join(tmpdir(), 'benchloop-models-'));

let broker: Mosquitto;
let node: SyncNode;
let sub: MosquittoSub;
let ids = 0;

const publishChunk = (topic: string, bytes: Uint8Array) => publishFile({ port: broker.port }, topic, bytes);

async function ask(name: string, args: object = {}): Promise<Record<string, unknown>> {
  const id = `m-${++ids}`;
  await command(broker, { id, name, args });
  return replyTo(sub, id);
}

/** begin → chunks of at most 200 bytes → commit; `lie` alters what begin declares, `send` what is sent. */
async function deploy(
  bytes: Uint8Array,
  version: string,
  options: { shadow?: boolean; declared?: Partial<{ sha256: string; size: number }>; send?: Uint8Array } = {},
) {
  const begun = await ask('model.begin', {
    name: 'heater-policy',
    version,
    sha256: sha256(bytes),
    size: bytes.byteLength,
    ...options.declared,
  });
  expect(begun).toMatchObject({ ok: true, result: { chunkSize: 131072 } });
  const { transfer } = begun.result as { transfer: string };
  const payload = options.send ?? bytes;
  for (let i = 0; i * 200 < payload.byteLength; i++)
    await publishChunk(`${root}/model/${transfer}/${i}`, payload.subarray(i * 200, (i + 1) * 200));
  return ask('model.commit', { transfer, ...(options.shadow ? { shadow: true } : {}) });
}

const heaterBy = (by: string, value: number) =>
  node.daemon.waitForEvent('actuator.changed', (e) => e.by === by && e.value === value);

const listed = async () =>
  (
    (await ask('model.list')).result as {
      models: Array<{ version: string; active: boolean; shadow?: boolean }>;
    }
  ).models;

beforeAll(async () => {
  broker = await Mosquitto.start();
  sub = await subscribe(broker, [`${root}/#`]);
  node = startSyncNode(nodeConfig({ url: broker.url, extra: models }));
  await sub.waitFor((m) => m.topic === `${root}/status` && json(m).online === true, 'birth');
});

afterAll(async () => {
  node?.daemon.kill('SIGKILL');
  await sub?.stop();
  await broker?.cleanup();
});

describe('models over MQTT', () => {
  it('the version shipped with the config is installed, active, and in the birth', async () => {
    const birth = json(sub.on(`${root}/status`).find((m) => json(m).online === true)!);
    expect(birth.models).toEqual([
      { name: 'heater-policy', version: '1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), active: true },
    ]);
    await node.daemon.waitForEvent('model.activated', (e) => e.version === '1' && e.from === 'config');
  });

  it('a new version, sent in chunks, becomes active only after commit and drives the heater', async () => {
    const v2 = constantPolicy(0.3);
    expect(await deploy(v2, '2')).toMatchObject({
      ok: true,
      result: { name: 'heater-policy', version: '2', active: true },
    });
    await node.daemon.waitForEvent('model.activated', (e) => e.version === '2' && e.sha256 === sha256(v2));
    await heaterBy('heater-policy@2', 0.3);
    expect(simLine(node.dataDir, 'pwm18')).toBe('0.3');
    const described = (await ask('describe')).result as { models: unknown[] };
    expect(described.models).toEqual([
      expect.objectContaining({ version: '1', active: false }),
      expect.objectContaining({ version: '2', active: true, sha256: sha256(v2) }),
    ]);
  });

  const bad: Array<[string, () => Promise<Record<string, unknown>>, RegExp]> = [
    [
      'a wrong hash',
      () => deploy(constantPolicy(0.9), '3', { declared: { sha256: 'ab'.repeat(32) } }),
      /sha256 mismatch/,
    ],
    [
      'a truncated file',
      () => {
        const file = constantPolicy(0.9);
        return deploy(file, '3', { send: file.subarray(0, file.byteLength >> 1) });
      },
      /truncated: received \d+ of \d+ bytes/,
    ],
    [
      'a truncated file whose hash and size match what arrives',
      () => {
        const file = constantPolicy(0.9);
        return deploy(file.subarray(0, file.byteLength >> 1), '3');
      },
      /not a model ONNX Runtime can load/,
    ],
    [
      'wrong shapes',
      () => deploy(constantPolicy(0.9, 4), '3'),
      /does not match the config: models\.list\[0\]\.inputs\[0\]\.shape: input "temperature": the model has shape \[1, 4\], the config says \[1, 3\]/,
    ],
    [
      'not ONNX',
      () => deploy(new TextEncoder().encode('{"weights": [1, 2, 3]} — not a model'), '3'),
      /not a model ONNX Runtime can load/,
    ],
  ];

  it.each(bad)(
    '%s is rejected (failed, model.rejected); version 2 keeps driving',
    async (_what, send, reason) => {
      const before = node.daemon.lines.length;
      const reply = await send();
      expect(reply).toMatchObject({
        ok: false,
        error: { code: 'failed', message: expect.stringMatching(reason) },
      });
      expect((reply.error as { message: string }).message).toMatch(/version 2 stays active$/);
      await node.daemon.waitForEvent(
        'model.rejected',
        (e) => e.version === '3' && reason.test(e.reason as string),
      );
      expect(simLine(node.dataDir, 'pwm18')).toBe('0.3');
      expect((await listed()).filter((m) => m.active).map((m) => m.version)).toEqual(['2']);
      expect(node.daemon.lines.slice(before).filter((l) => l.event?.type === 'model.activated')).toEqual([]);
    },
  );

  it('a commit of an unknown transfer is not_found; a model the config does not name is not_found', async () => {
    expect(await ask('model.commit', { transfer: 't-0000' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const reply = await ask('model.begin', { name: 'oven', version: '1', sha256: 'a'.repeat(64), size: 10 });
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'not_found',
        message: expect.stringMatching(
          /args\.name: no model "oven" in this node's config \(models\.list: heater-policy\)/,
        ),
      },
    });
  });

  it('a shadow version publishes its decisions and drives nothing until promoted', async () => {
    expect(await deploy(constantPolicy(0.7), '4', { shadow: true })).toMatchObject({
      ok: true,
      result: { version: '4', active: false },
    });
    await node.daemon.waitForEvent(
      'model.decision',
      (e) =>
        e.version === '4' && e.shadow === true && (e.decisions as { heater?: number }).heater !== undefined,
    );
    expect(simLine(node.dataDir, 'pwm18')).toBe('0.3');
    expect(await ask('model.promote', { name: 'heater-policy' })).toMatchObject({
      ok: true,
      result: { version: '4' },
    });
    await heaterBy('heater-policy@4', 0.7);
  });

  it('rollback returns to the version active before', async () => {
    expect(await ask('model.rollback', { name: 'heater-policy' })).toMatchObject({
      ok: true,
      result: { version: '2' },
    });
    await heaterBy('heater-policy@2', 0.3);
  });

  it('a restart keeps the active version', async () => {
    node.daemon.kill('SIGTERM');
    await node.daemon.exited;
    const births = sub.on(`${root}/status`).length;
    node = restartSyncNode(node);
    const birth = json(
      await sub.waitFor(
        (m) =>
          m.topic === `${root}/status` &&
          json(m).online === true &&
          sub.on(`${root}/status`).indexOf(m) >= births,
        'new birth',
      ),
    );
    expect(
      (birth.models as Array<{ version: string; active: boolean }>)
        .filter((m) => m.active)
        .map((m) => m.version),
    ).toEqual(['2']);
    await heaterBy('heater-policy@2', 0.3);
  });
});
