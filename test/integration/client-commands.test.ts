/**
 * Commands through the client library against a real Mosquitto and a real daemon:
 * round trips, refusals as CommandError with the protocol's code, a resend by id
 * answered from the node's journal, the MQTT 5 Response Topic, and the three ways a
 * reply does not come (node offline, node silent, node unknown) — including a
 * command queued by the broker while the node was away, which `expiresAt` keeps
 * from running when the node comes back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CommandError,
  CommandTimeoutError,
  type EventsMessage,
  NodeOfflineError,
} from '../../src/client/index.js';
import { simLine } from '../support/daemon.js';
import { mosquittoPub } from '../support/mosquitto.js';
import { nodeConfig, restartSyncNode, target } from '../support/sync-node.js';
import { connectClient, NODE, next, startBroker, startNode, stopAll, track } from './client-helpers.js';

afterEach(stopAll);

async function onlineNode(config?: (url: string) => string) {
  const broker = await startBroker();
  const client = await connectClient(broker);
  await client.nodes.track();
  const node = startNode((config ?? ((url) => nodeConfig({ url })))(broker.url));
  await client.nodes.waitFor(NODE, (n) => n?.online === true);
  return { broker, client, node };
}

describe('client: commands', () => {
  it('round trips: ping, describe, read, set; refusals carry the protocol code; a resend by id gets the first reply', async () => {
    const { client, node } = await onlineNode();
    const lab = client.node('test/it-node');
    const ping = await lab.ping();
    expect(ping).toEqual({ bootId: client.nodes.get(NODE)!.birth!.bootId, uptimeMs: expect.any(Number) });
    const described = await lab.describe();
    expect(described.configHash).toMatch(/^[0-9a-f]{64}$/);
    const { samples } = await lab.read({ device: 'chamber', channel: 'temperature' });
    expect(samples).toEqual([
      expect.objectContaining({ d: 'chamber', c: 'temperature', v: expect.any(Number) }),
    ]);
    expect(await lab.set('heater', 0.4)).toEqual({ actuator: 'heater', value: 0.4, previous: 0 });
    expect(Number(simLine(node.dataDir, 'pwm18'))).toBeCloseTo(0.4);

    const refused = await lab.set('heater', 1.5).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CommandError);
    expect(refused).toMatchObject({ code: 'out_of_range', command: 'set', reply: { ok: false } });
    await expect(lab.set('fan', 1)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.send(NODE, 'no.such.command')).rejects.toMatchObject({ code: 'unknown_command' });

    const id = client.nextCommandId();
    const first = await client.request(NODE, 'ping', undefined, { id });
    const again = await client.request(NODE, 'ping', undefined, { id });
    expect(again).toEqual(first);
  });

  it('MQTT 5: replies on the Response Topic from a node on MQTT 5', async () => {
    const { broker } = await onlineNode((url) =>
      nodeConfig({ url }).replace('keepaliveS: 5', 'keepaliveS: 5\n  protocolVersion: 5'),
    );
    const client = await connectClient(broker, { protocolVersion: 5, responseTopic: true });
    expect(await client.node(NODE).ping()).toMatchObject({ bootId: expect.any(String) });
  });

  it('a node SIGKILLed: NodeOfflineError at once with whenOffline "fail", after the timeout otherwise; the queued command expires unexecuted', async () => {
    const { client, node } = await onlineNode();
    const gone = next((l) => client.nodes.on('offline', l));
    node.daemon.kill('SIGKILL');
    await gone;
    const lab = client.node(NODE);

    const started = Date.now();
    const failFast = await lab.ping({ whenOffline: 'fail', timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(failFast).toBeInstanceOf(NodeOfflineError);
    expect(failFast).toMatchObject({ known: true, session: 1 });
    expect(Date.now() - started).toBeLessThan(2000);

    // Sent anyway: the broker queues it for the node's persistent session, with expiresAt = now + timeout.
    const id = client.nextCommandId();
    const queued = await lab.set('heater', 0.5, { id, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(queued).toBeInstanceOf(NodeOfflineError);

    // Back, the node gets it, and refuses it as expired: the heater does not move hours later.
    const events = client.watch({ nodes: NODE, telemetry: false });
    await events.ready;
    const rejected = next<EventsMessage>(
      (l) => events.on('events', l),
      (m) => m.events.some((e) => e.type === 'command.rejected' && e.id === id),
    );
    track(restartSyncNode(node));
    const event = (await rejected).events.find((e) => e.id === id);
    expect(event).toMatchObject({ code: 'expired', name: 'set' });
    expect(Number(simLine(node.dataDir, 'pwm18'))).toBe(0);
  });

  it('a node whose status says online but that does not answer: CommandTimeoutError; an unknown node: NodeOfflineError', async () => {
    const broker = await startBroker();
    const ghost = { site: 'test', node: 'silent' };
    const birth = {
      online: true,
      session: 3,
      bootId: 'b',
      version: '0',
      ts: Date.now(),
      clock: { synced: true },
      devices: [],
      actuators: [],
      models: [],
    };
    await mosquittoPub(target(broker), 'benchloop/v1/test/silent/status', JSON.stringify(birth), {
      retain: true,
    });
    const client = await connectClient(broker);
    const silent = await client
      .node(ghost)
      .ping({ timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(CommandTimeoutError);
    expect(silent).toMatchObject({ command: 'ping', timeoutMs: 300, id: expect.stringMatching(/^c-/) });

    const unknown = await client
      .node('test/nobody')
      .ping({ timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NodeOfflineError);
    expect(unknown).toMatchObject({ known: false });
  });
});
