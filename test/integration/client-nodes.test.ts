/**
 * Discovery and liveness through the client library, against a real Mosquitto and
 * a real daemon: the retained birth, the Last Will when the daemon is SIGKILLed, a
 * restart, a client that arrives late, the stale-death rule, and a snapshot of a
 * fleet larger than the broker's in-flight window that is complete when `track()`
 * resolves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DirectoryEvents } from '../../src/client/index.js';
import { mosquittoPub } from '../support/mosquitto.js';
import { nodeConfig, restartSyncNode, target } from '../support/sync-node.js';
import {
  connectClient,
  NODE,
  NODE_KEY,
  next,
  startBroker,
  startNode,
  stopAll,
  track,
} from './client-helpers.js';

afterEach(stopAll);

const birth = (session: number, bootId = 'boot-a') =>
  JSON.stringify({
    online: true,
    session,
    bootId,
    version: '9.9.9',
    ts: Date.now(),
    clock: { synced: true },
    devices: [],
    actuators: [],
    models: [],
  });

describe('client: nodes', () => {
  it('discovers a node, sees it offline after SIGKILL (its Last Will), online again after a restart', async () => {
    const broker = await startBroker();
    const client = await connectClient(broker);
    await client.nodes.track();
    const online = next<DirectoryEvents['online']>((l) => client.nodes.on('online', l));
    const node = startNode(nodeConfig({ url: broker.url }));
    const first = (await online).node;
    expect(first).toMatchObject({
      key: NODE_KEY,
      online: true,
      session: 1,
      birth: { online: true, session: 1 },
    });
    expect(first.birth!.devices.map((d) => d.id)).toEqual(['chamber']);

    const offline = next<DirectoryEvents['offline']>((l) => client.nodes.on('offline', l));
    node.daemon.kill('SIGKILL');
    const dead = (await offline).node;
    expect(dead).toMatchObject({ key: NODE_KEY, online: false, session: 1 });
    // What the node was stays known while it is away.
    expect(dead.birth?.bootId).toBe(first.birth!.bootId);

    // A client that arrives now finds it offline as soon as track() resolves: no waiting.
    const late = await connectClient(broker);
    await late.nodes.track({ site: 'test' });
    expect(late.nodes.list().map((n) => [n.key, n.online, n.session])).toEqual([[NODE_KEY, false, 1]]);

    const back = next<DirectoryEvents['online']>((l) => client.nodes.on('online', l));
    track(restartSyncNode(node));
    const again = await back;
    expect(again.restarted).toBe(true);
    expect(again.node.session).toBe(2);
    expect(client.nodes.get(NODE)?.online).toBe(true);
  });

  it('ignores a death older than the last birth; a current death, then a cleared status, count', async () => {
    const broker = await startBroker();
    const client = await connectClient(broker);
    await client.nodes.track({ site: 'fake' });
    const address = { site: 'fake', node: 'n1' };
    const topic = 'benchloop/v1/fake/n1/status';
    const publish = (payload: string) => mosquittoPub(target(broker), topic, payload, { retain: true });

    await publish(birth(5));
    await client.nodes.waitFor(address, (n) => n?.session === 5);
    const stale = next<DirectoryEvents['stale-death']>((l) => client.nodes.on('stale-death', l));
    await publish(JSON.stringify({ online: false, session: 4 }));
    expect((await stale).session).toBe(4);
    expect(client.nodes.get(address)).toMatchObject({ online: true, session: 5 });

    await publish(JSON.stringify({ online: false, session: 5 }));
    await client.nodes.waitFor(address, (n) => n?.online === false);
    const removed = next<DirectoryEvents['removed']>((l) => client.nodes.on('removed', l));
    await publish('');
    expect((await removed).node.key).toBe('fake/n1');
    expect(client.nodes.get(address)).toBeUndefined();
  });

  it('track() resolves with every retained status in, for more nodes than the broker keeps in flight', async () => {
    const broker = await startBroker();
    // Mosquitto sends at most 20 QoS 1 messages in flight per client: 60 would straddle that window.
    const count = 60;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        mosquittoPub(target(broker), `benchloop/v1/fleet/n${i}/status`, birth(i + 1), { retain: true }),
      ),
    );
    const client = await connectClient(broker);
    await client.nodes.track({ site: 'fleet' });
    const nodes = client.nodes.list();
    expect(nodes).toHaveLength(count);
    expect(nodes.every((n) => n.online)).toBe(true);
  });
});
