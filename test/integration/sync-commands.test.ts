/**
 * Commands over a real Mosquitto, with mosquitto_pub/mosquitto_sub as the
 * orchestrator: replies, idempotency by id, expiry, every malformed payload, MQTT 5
 * Response Topic; the node keeps running and no actuator moves on any rejection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simLine } from '../support/daemon.js';
import { Mosquitto, MosquittoSub, mosquittoPub } from '../support/mosquitto.js';
import {
  command,
  commandFromFile,
  json,
  nodeConfig,
  replyTo,
  root,
  type SyncNode,
  startSyncNode,
  subscribe,
  target,
} from '../support/sync-node.js';

// Whatever a failing test left subscribed is stopped too.
afterAll(() => MosquittoSub.stopAll());

let broker: Mosquitto;
let node: SyncNode;
let sub: MosquittoSub;

beforeAll(async () => {
  broker = await Mosquitto.start();
  sub = await subscribe(broker, [`${root}/#`]);
  node = startSyncNode(nodeConfig({ url: broker.url }));
  await sub.waitFor((m) => m.topic === `${root}/status` && json(m).online === true, 'birth');
});

afterAll(async () => {
  node?.daemon.kill('SIGKILL');
  await sub?.stop();
  await broker?.cleanup();
});

const heater = () => simLine(node.dataDir, 'pwm18');

describe('commands', () => {
  it('ping and describe answer on R/reply', async () => {
    await command(broker, { id: 'c-ping', name: 'ping' });
    const ping = await replyTo(sub, 'c-ping');
    expect(ping).toMatchObject({
      id: 'c-ping',
      ok: true,
      result: { bootId: expect.any(String), uptimeMs: expect.any(Number) },
    });
    await command(broker, { id: 'c-describe', name: 'describe' });
    const described = (await replyTo(sub, 'c-describe')).result as Record<string, unknown>;
    expect(described).toMatchObject({ online: true, configHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((described.devices as Array<{ id: string }>).map((d) => d.id)).toEqual(['chamber']);
  });

  it('read returns samples read now', async () => {
    await command(broker, {
      id: 'c-read',
      name: 'read',
      args: { device: 'chamber', channel: 'temperature' },
    });
    const reply = await replyTo(sub, 'c-read');
    expect(reply.ok).toBe(true);
    const samples = (reply.result as { samples: Array<{ d: string; c: string; v: number }> }).samples;
    expect(samples).toEqual([
      expect.objectContaining({ d: 'chamber', c: 'temperature', v: expect.any(Number) }),
    ]);
  });

  it('the same command id twice: executed once, the same reply twice', async () => {
    await command(broker, { id: 'c-set-1', name: 'set', args: { actuator: 'heater', value: 0.4 } });
    const first = await replyTo(sub, 'c-set-1');
    expect(first).toMatchObject({ ok: true, result: { actuator: 'heater', value: 0.4, previous: 0 } });
    expect(heater()).toBe('0.4');
    await command(broker, { id: 'c-set-2', name: 'set', args: { actuator: 'heater', value: 0.2 } });
    await replyTo(sub, 'c-set-2');
    await command(broker, { id: 'c-set-1', name: 'set', args: { actuator: 'heater', value: 0.4 } });
    const again = await replyTo(sub, 'c-set-1', 2);
    expect(again).toEqual(first);
    expect(heater()).toBe('0.2');
    const changes = node.daemon.lines.filter(
      (l) => l.event?.type === 'actuator.changed' && l.event.by === 'c-set-1',
    );
    expect(changes).toHaveLength(1);
  });

  it('an expired command is not executed', async () => {
    const before = heater();
    await command(broker, {
      id: 'c-old',
      name: 'set',
      args: { actuator: 'heater', value: 0.1 },
      expiresAt: Date.now() - 60_000,
    });
    const reply = await replyTo(sub, 'c-old');
    expect(reply).toMatchObject({ ok: false, error: { code: 'expired' } });
    expect(heater()).toBe(before);
  });

  const rejections: Array<[string, () => Promise<void>, string | null, string]> = [
    ['not JSON', () => command(broker, '{"id": "c-x", nope'), null, 'bad_request'],
    ['an array', () => command(broker, '[1, 2]'), null, 'bad_request'],
    [
      'wrong types',
      () => command(broker, { id: 'c-types', name: 'set', args: { actuator: 'heater', value: 'hot' } }),
      'c-types',
      'invalid_args',
    ],
    [
      'an unknown command',
      () => command(broker, { id: 'c-unknown', name: 'launch' }),
      'c-unknown',
      'unknown_command',
    ],
    [
      'a forbidden actuator',
      () => command(broker, { id: 'c-fan', name: 'set', args: { actuator: 'fan', value: 1 } }),
      'c-fan',
      'forbidden',
    ],
    [
      'an out-of-envelope value',
      () => command(broker, { id: 'c-range', name: 'set', args: { actuator: 'heater', value: 1.7 } }),
      'c-range',
      'out_of_range',
    ],
  ];

  it.each(rejections)(
    '%s: the right error, the node keeps running, actuators unchanged',
    async (_what, send, id, code) => {
      const before = [heater(), simLine(node.dataDir, 'gpio23')];
      await send();
      const reply = await replyTo(sub, id);
      expect(reply).toMatchObject({ id, ok: false, error: { code } });
      expect((reply.error as { message: string }).message.length).toBeGreaterThan(0);
      expect([heater(), simLine(node.dataDir, 'gpio23')]).toEqual(before);
      await command(broker, { id: `alive-${code}-${id}`, name: 'ping' });
      expect((await replyTo(sub, `alive-${code}-${id}`)).ok).toBe(true);
    },
  );

  it('1 MiB payload: bad_request before parsing, and the node keeps running', async () => {
    // Replies without an id came before (not JSON, an array): wait for the next one.
    const earlier = sub.on(`${root}/reply`).filter((m) => json(m).id === null).length;
    await commandFromFile(
      broker,
      JSON.stringify({ id: 'c-huge', name: 'ping', args: { pad: 'x'.repeat(1 << 20) } }),
    );
    const reply = await replyTo(sub, null, earlier + 1);
    expect(reply).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((reply.error as { message: string }).message).toMatch(/65536|64 KiB|bytes/);
    await command(broker, { id: 'alive-huge', name: 'ping' });
    expect((await replyTo(sub, 'alive-huge')).ok).toBe(true);
  });

  it('emits command.rejected for each rejection', async () => {
    const rejected = node.daemon.lines
      .filter((l) => l.event?.type === 'command.rejected')
      .map((l) => l.event!.code);
    expect(rejected).toEqual(
      expect.arrayContaining([
        'expired',
        'bad_request',
        'invalid_args',
        'unknown_command',
        'forbidden',
        'out_of_range',
      ]),
    );
  });
});

describe('MQTT 5', () => {
  it('a command with a Response Topic gets its reply there too, with the Correlation Data', async () => {
    const v5broker = await Mosquitto.start();
    const v5sub = await subscribe(v5broker, [`${root}/status`]);
    const v5node = startSyncNode(
      nodeConfig({ url: v5broker.url }).replace('keepaliveS: 5', 'keepaliveS: 5\n  protocolVersion: 5'),
    );
    await v5sub.waitFor((m) => json(m).online === true, 'birth');
    const responses = await subscribe(v5broker, ['orchestrator/responses/7'], { version: 5 });
    await mosquittoPub(target(v5broker, 5), `${root}/cmd`, JSON.stringify({ id: 'c-v5', name: 'ping' }), {
      properties: [
        ['publish', 'response-topic', 'orchestrator/responses/7'],
        ['publish', 'correlation-data', 'req-42'],
      ],
    });
    const response = await responses.waitFor(() => true, 'response');
    expect(json(response)).toMatchObject({ id: 'c-v5', ok: true });
    expect(JSON.stringify(response.properties)).toContain('req-42');
    v5node.daemon.kill('SIGKILL');
    await Promise.all([responses.stop(), v5sub.stop()]);
    await v5broker.cleanup();
  });
});
