/**
 * The node as a whole after the worst moments: a power cut that tore the last
 * outbox record, a restart between a command and its retry, a broker given on the
 * command line, and the demo's embedded broker.
 */
import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stopAfterEach } from '../support/cleanup.js';
import { startDaemon } from '../support/daemon.js';
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

const started = stopAfterEach();

async function broker(): Promise<Mosquitto> {
  const b = await Mosquitto.start();
  started(() => b.cleanup());
  return b;
}

function track(node: SyncNode): SyncNode {
  started(() => node.daemon.kill('SIGKILL'));
  return node;
}

type Batch = { seq: number; samples: unknown[] };

describe('recovery', () => {
  it('a torn last outbox record (power cut mid-write) is discarded; everything before it is published, seq stays contiguous', async () => {
    const b = await broker();
    const sub = await subscribe(b, [`${root}/telemetry`], { clientId: 'it-torn', persistentSession: true });
    started(() => sub.stop());
    const node = track(startSyncNode(nodeConfig({ url: b.url, periodMs: 20 })));
    await sub.waitFor((m) => json<Batch>(m).seq >= 2, 'first batches');
    // The broker goes away; the node keeps writing into its outbox.
    await b.stop();
    await node.daemon.waitFor((l) => /broker link down/.test(l.msg));
    await node.daemon.waitFor((l) => l.msg === 'reconnecting');
    // The outage lasts long enough for a few batches (one a second at this rate) to be committed; then the power goes.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    node.daemon.kill('SIGKILL');
    await node.daemon.exited;
    const dir = join(node.dataDir, 'outbox');
    const last = readdirSync(dir)
      .filter((f) => f.endsWith('.seg'))
      .sort()
      .at(-1)!;
    const size = statSync(join(dir, last)).size;
    truncateSync(join(dir, last), size - 7);

    await b.restart();
    const again = track(restartSyncNode(node));
    await again.daemon.waitFor((l) => /torn|truncat/i.test(l.msg), 'torn-record warning');
    // New samples after the restart prove the node went on from the last whole record.
    const restartedAt = Date.now();
    await sub.waitFor(
      (m) => json<{ samples: Array<{ t: number }> }>(m).samples.some((s) => s.t > restartedAt),
      'fresh samples',
    );
    const seqs = [...new Set(sub.on(`${root}/telemetry`).map((m) => json<Batch>(m).seq))].sort(
      (a, c) => a - c,
    );
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
  });

  it('a command id answered before a restart is answered the same after it, and not executed again', async () => {
    const b = await broker();
    const sub = await subscribe(b, [`${root}/#`]);
    started(() => sub.stop());
    const node = track(startSyncNode(nodeConfig({ url: b.url })));
    await sub.waitFor((m) => m.topic === `${root}/status` && json(m).online === true);
    await command(b, { id: 'c-once', name: 'set', args: { actuator: 'heater', value: 0.3 } });
    const first = await replyTo(sub, 'c-once');
    node.daemon.kill('SIGTERM');
    await node.daemon.exited;
    const again = track(restartSyncNode(node));
    await sub.waitFor(
      (m) => m.topic === `${root}/status` && json(m).online === true && json(m).session === 2,
    );
    await command(b, { id: 'c-once', name: 'set', args: { actuator: 'heater', value: 0.3 } });
    expect(await replyTo(sub, 'c-once', 2)).toEqual(first);
    // After the restart the heater is at its safe value, and the replayed command did not move it.
    expect(
      again.daemon.lines.some((l) => l.event?.type === 'actuator.changed' && l.event.by === 'c-once'),
    ).toBe(false);
  });

  it('--mqtt-url overrides the config: the node reports to that broker and starts no embedded one', async () => {
    const b = await broker();
    const sub = await subscribe(b, [`${root}/status`]);
    started(() => sub.stop());
    const embeddedPort = await freePort();
    const config = nodeConfig({ url: 'mqtt://unused.invalid:1883' }).replace(
      '  url: mqtt://unused.invalid:1883',
      `  embedded: true\n  embeddedPort: ${embeddedPort}`,
    );
    const node = track(startSyncNode(config));
    node.daemon.kill('SIGKILL');
    const { file } = node;
    const daemon = startDaemon([
      'run',
      '--config',
      file,
      '--no-pretty',
      '--summary-every',
      '0',
      '--mqtt-url',
      b.url,
    ]);
    started(() => daemon.kill('SIGKILL'));
    expect(json(await sub.waitFor((m) => json(m).online === true))).toMatchObject({ online: true });
    expect(daemon.lines.some((l) => /embedded MQTT broker/.test(l.msg))).toBe(false);
  });

  it('the demo config runs with its embedded broker: a plain mosquitto_sub sees the birth and telemetry', async () => {
    const port = await freePort();
    const demo = readFileSync(join(import.meta.dirname, '../../deploy/examples/incubator.yaml'), 'utf8')
      .replace(/^dataDir: .*$/m, 'dataDir: DATA_DIR')
      .replace('embeddedPort: 1884', `embeddedPort: ${port}`)
      .replace(/^web:\n( {2}.*\n)+/m, 'web: { enabled: false }\n');
    const node = track(startSyncNode(demo));
    await node.daemon.waitFor((l) => /embedded MQTT broker listening/.test(l.msg));
    const sub = await MosquittoSub.start({ port }, ['benchloop/v1/demo-lab/incubator-01/#']);
    started(() => sub.stop());
    await sub.waitFor((m) => m.topic.endsWith('/status') && json(m).online === true, 'birth');
    await sub.waitFor((m) => m.topic.endsWith('/telemetry'), 'telemetry');
  });
});
