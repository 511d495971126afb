/**
 * Remote configuration over a real Mosquitto, with mosquitto_pub/mosquitto_sub as the
 * orchestrator and the built daemon as a child process: `config.get`, then
 * `config.apply` of a good change (the node restarts on it and replies with the new
 * hash), a bad one (every problem in one `invalid_args`), a stale hash (`failed`), a
 * change that leaves the node unhealthy (rolled back by the node itself), and a
 * daemon killed in the middle of a change (rolled back at its next start).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Mosquitto, MosquittoSub } from '../support/mosquitto.js';
import {
  command,
  json,
  nodeConfig,
  replyTo,
  restartSyncNode,
  root,
  type SyncNode,
  startSyncNode,
  subscribe,
} from '../support/sync-node.js';

afterAll(() => MosquittoSub.stopAll());

let broker: Mosquitto;
let node: SyncNode;
let sub: MosquittoSub;

const HEALTH_TIMEOUT_MS = 3000;

beforeAll(async () => {
  broker = await Mosquitto.start();
  sub = await subscribe(broker, [`${root}/#`]);
  node = startSyncNode(
    nodeConfig({
      url: broker.url,
      extra: `configApply: { enabled: true, healthTimeoutMs: ${HEALTH_TIMEOUT_MS} }\n`,
    }),
  );
  await sub.waitFor((m) => m.topic === `${root}/status` && json(m).online === true, 'birth');
});

afterAll(async () => {
  node?.daemon.kill('SIGKILL');
  await sub?.stop();
  await broker?.cleanup();
});

type Config = Record<string, unknown> & {
  devices: Array<Record<string, unknown>>;
  commands: { remoteSet: string[] };
  mqtt: Record<string, unknown>;
};

async function get(id: string): Promise<{ config: Config; configHash: string }> {
  await command(broker, { id, name: 'config.get' });
  const reply = await replyTo(sub, id);
  expect(reply).toMatchObject({ ok: true });
  return reply.result as { config: Config; configHash: string };
}

async function apply(id: string, config: unknown, expectedHash: string) {
  await command(broker, { id, name: 'config.apply', args: { config, expectedHash } });
  return replyTo(sub, id);
}

async function bootId(id: string): Promise<string> {
  await command(broker, { id, name: 'ping' });
  return ((await replyTo(sub, id)).result as { bootId: string }).bootId;
}

describe('config.apply over MQTT', () => {
  it('config.get returns the running configuration and its hash, the one describe reports', async () => {
    const { config, configHash } = await get('g-1');
    expect(configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(config).toMatchObject({ node: { id: 'it-node', site: 'test' }, mqtt: { url: broker.url } });
    await command(broker, { id: 'd-1', name: 'describe' });
    expect(((await replyTo(sub, 'd-1')).result as { configHash: string }).configHash).toBe(configHash);
  });

  it('a good change: applied atomically, the node restarts on it and replies with the new hash', async () => {
    const before = await get('g-2');
    const bootBefore = await bootId('p-2a');
    const changed = structuredClone(before.config);
    changed.commands.remoteSet = ['heater', 'fan'];
    changed.devices[0]!.periodMs = 300;

    const reply = await apply('a-good', changed, before.configHash);
    expect(reply).toMatchObject({ id: 'a-good', ok: true, result: { configHash: expect.any(String) } });
    const { configHash } = reply.result as { configHash: string };
    expect(configHash).not.toBe(before.configHash);

    const after = await get('g-3');
    expect(after.configHash).toBe(configHash);
    expect(after.config.commands.remoteSet).toEqual(['heater', 'fan']);
    expect(await bootId('p-2b')).not.toBe(bootBefore);
    // The change is on disk, the previous file kept for a rollback, no apply left pending.
    expect(readFileSync(node.file, 'utf8')).toContain('Written by config.apply (command a-good)');
    expect(readFileSync(`${node.file}.prev`, 'utf8')).not.toContain('fan]');
    expect(existsSync(`${node.file}.apply.json`)).toBe(false);
    // Now remotely writable, as the new configuration says.
    await command(broker, { id: 's-fan', name: 'set', args: { actuator: 'fan', value: 1 } });
    expect(await replyTo(sub, 's-fan')).toMatchObject({ ok: true });

    // The same command id again: the first reply, from the journal of the node that answered.
    await command(broker, {
      id: 'a-good',
      name: 'config.apply',
      args: { config: changed, expectedHash: configHash },
    });
    expect(await replyTo(sub, 'a-good', 2)).toEqual(reply);
  });

  it('a bad change: every problem in one invalid_args, and nothing changes', async () => {
    const before = await get('g-4');
    const boot = await bootId('p-4a');
    const text = readFileSync(node.file, 'utf8');
    const bad = structuredClone(before.config) as Config & {
      actuators: Array<{ envelope: { safe: number } }>;
    };
    bad.devices[0]!.perodMs = 500;
    bad.actuators[0]!.envelope.safe = 7;
    bad.mqtt.keepaliveS = 'soon';

    const reply = await apply('a-bad', bad, before.configHash);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
    const paths = ((reply.error as { issues: Array<{ path: string }> }).issues ?? []).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'args.config.devices[0].perodMs',
        'args.config.actuators[0].envelope.safe',
        'args.config.mqtt.keepaliveS',
      ]),
    );
    expect((reply.error as { message: string }).message).toContain('did you mean "periodMs"?');
    expect(readFileSync(node.file, 'utf8')).toBe(text);
    expect(await bootId('p-4b')).toBe(boot);
  });

  it('a stale expectedHash is refused with failed, and nothing changes', async () => {
    const current = await get('g-5');
    const boot = await bootId('p-5a');
    const reply = await apply('a-stale', current.config, 'ab'.repeat(32));
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect((reply.error as { message: string }).message).toMatch(
      new RegExp(`not the running configuration's hash \\(${current.configHash}\\).*config.get again`),
    );
    expect(await bootId('p-5b')).toBe(boot);
  });

  it('a change that leaves the node unhealthy is rolled back by the node itself', async () => {
    const before = await get('g-6');
    const text = readFileSync(node.file, 'utf8');
    const unreachable = structuredClone(before.config);
    // A broker that is not there: the node cannot connect on it, so it is not healthy.
    unreachable.mqtt.url = `mqtt://127.0.0.1:${await freePort()}`;

    const started = Date.now();
    const reply = await apply('a-unhealthy', unreachable, before.configHash);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 500);
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed' } });
    const message = (reply.error as { message: string }).message;
    expect(message).toContain(`not healthy within ${HEALTH_TIMEOUT_MS} ms`);
    expect(message).toMatch(/connection refused/);
    expect(message).toContain(`rolled back to the previous configuration (configHash ${before.configHash})`);
    expect((await get('g-7')).configHash).toBe(before.configHash);
    expect(readFileSync(node.file, 'utf8')).toBe(text);
    await node.daemon.waitForEvent('config.rolledBack', (e) => e.id === 'a-unhealthy');
  });

  it('a daemon killed during a change rolls back at its next start and answers the command', async () => {
    const before = await get('g-8');
    const text = readFileSync(node.file, 'utf8');
    const unreachable = structuredClone(before.config);
    unreachable.mqtt.url = `mqtt://127.0.0.1:${await freePort()}`;
    await command(broker, {
      id: 'a-killed',
      name: 'config.apply',
      args: { config: unreachable, expectedHash: before.configHash },
    });
    // Killed while it tries the new configuration: no chance to roll back in this process.
    await node.daemon.waitFor(
      (l) => l.command === 'a-killed' && /stopping the node to start it on the new configuration/.test(l.msg),
    );
    node.daemon.kill('SIGKILL');
    await node.daemon.exited;
    expect(existsSync(`${node.file}.apply.json`)).toBe(true);

    node = restartSyncNode(node);
    const reply = await replyTo(sub, 'a-killed');
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect((reply.error as { message: string }).message).toMatch(
      /stopped .* while trying the new configuration/,
    );
    expect(readFileSync(node.file, 'utf8')).toBe(text);
    expect(existsSync(`${node.file}.apply.json`)).toBe(false);
    expect((await get('g-9')).configHash).toBe(before.configHash);
  });

  it('off unless the configuration enables it: forbidden', async () => {
    const before = await get('g-10');
    const off = structuredClone(before.config) as Config & { configApply: { enabled: boolean } };
    off.configApply.enabled = false;
    expect(await apply('a-off', off, before.configHash)).toMatchObject({ ok: true });
    const after = await get('g-11');
    const reply = await apply('a-refused', after.config, after.configHash);
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((reply.error as { message: string }).message).toContain('configApply.enabled: true');
  });
});
