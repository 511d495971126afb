/**
 * Status over a real Mosquitto: the retained birth on connect, the Last Will when
 * the daemon is SIGKILLed, the node's own death on SIGTERM, sessions that never
 * repeat, a stale death (from an older connection) told apart by its session, and
 * the same over TLS with a client certificate made at test time.
 */
import { describe, expect, it } from 'vitest';
import { stopAfterEach } from '../support/cleanup.js';
import { Mosquitto, MosquittoSub } from '../support/mosquitto.js';
import {
  json,
  nodeConfig,
  restartSyncNode,
  root,
  type SyncNode,
  startSyncNode,
  subscribe,
} from '../support/sync-node.js';
import { makeTestPki } from '../support/tls-ca.js';

type Status = { online: boolean; session: number; bootId?: string };
const started = stopAfterEach();

async function brokerAndSub(options?: Parameters<typeof Mosquitto.start>[0]) {
  const broker = await Mosquitto.start(options);
  started(() => broker.cleanup());
  const sub = await subscribe(broker, [`${root}/status`]);
  started(() => sub.stop());
  return { broker, sub };
}

function track(node: SyncNode): SyncNode {
  started(() => node.daemon.kill('SIGKILL'));
  return node;
}

const statuses = (sub: MosquittoSub) => sub.on(`${root}/status`).map((m) => json<Status>(m));
const nth = (sub: MosquittoSub, online: boolean, n: number) => {
  let seen = 0;
  return sub
    .waitFor((m) => json<Status>(m).online === online && ++seen === n, `${online ? 'birth' : 'death'} #${n}`)
    .then((m) => json<Status>(m));
};

describe('status', () => {
  it('birth on connect (retained); Last Will with the same session on SIGKILL; a new session after restart', async () => {
    const { broker, sub } = await brokerAndSub();
    const node = track(startSyncNode(nodeConfig({ url: broker.url })));
    const birth = await nth(sub, true, 1);
    expect(birth).toMatchObject({
      online: true,
      session: 1,
      version: expect.any(String),
      clock: { synced: expect.any(Boolean) },
    });

    // A late subscriber gets the retained birth.
    const late = await subscribe(broker, [`${root}/status`]);
    started(() => late.stop());
    expect((await late.waitFor(() => true)).retain).toBe(true);

    node.daemon.kill('SIGKILL');
    expect(await nth(sub, false, 1)).toEqual({ online: false, session: 1 });

    const again = track(restartSyncNode(node));
    const second = await nth(sub, true, 2);
    expect(second.session).toBe(2);
    expect(second.bootId).not.toBe(birth.bootId);
    again.daemon.kill('SIGTERM');
    expect(await nth(sub, false, 2)).toEqual({ online: false, session: 2 });
  });

  it('SIGTERM: the node publishes its own death, then exits 0', async () => {
    const { broker, sub } = await brokerAndSub();
    const node = track(startSyncNode(nodeConfig({ url: broker.url })));
    await nth(sub, true, 1);
    node.daemon.kill('SIGTERM');
    expect(await nth(sub, false, 1)).toEqual({ online: false, session: 1 });
    expect((await node.daemon.exited).code).toBe(0);
    // The death is retained: it is what a newcomer sees.
    const late = await subscribe(broker, [`${root}/status`]);
    started(() => late.stop());
    expect(json<Status>(await late.waitFor(() => true))).toEqual({ online: false, session: 1 });
  });

  it('a stale death (an old connection the broker noticed late) carries the lower session', async () => {
    const { broker, sub } = await brokerAndSub();
    const frozen = track(startSyncNode(nodeConfig({ url: broker.url })));
    await nth(sub, true, 1);
    // The process hangs with its connection open: the broker notices only after 1.5 keepalives.
    frozen.daemon.kill('SIGSTOP');
    const replacement = track(
      startSyncNode(
        nodeConfig({ url: broker.url }).replace('keepaliveS: 5', 'keepaliveS: 5\n  clientId: replacement'),
        frozen.dataDir,
      ),
    );
    const newer = await nth(sub, true, 2);
    const stale = await nth(sub, false, 1);
    expect(newer.session).toBe(2);
    expect(stale).toEqual({ online: false, session: 1 });
    // Arrival order: the old connection's Will after the newer birth; the session says which to believe.
    const order = statuses(sub).map((s) => `${s.online ? 'birth' : 'death'}:${s.session}`);
    expect(order.indexOf('death:1')).toBeGreaterThan(order.indexOf('birth:2'));
    replacement.daemon.kill('SIGTERM');
    await replacement.daemon.exited;
  });

  it('over TLS with a CA and a client certificate made at test time', async () => {
    const pki = await makeTestPki();
    started(() => pki.remove());
    const broker = await Mosquitto.start({
      tls: {
        caFile: pki.ca.cert,
        certFile: pki.server.cert,
        keyFile: pki.server.key,
        requireCertificate: true,
      },
    });
    started(() => broker.cleanup());
    const sub = await MosquittoSub.start(
      { port: broker.port, tls: { caFile: pki.ca.cert, certFile: pki.client.cert, keyFile: pki.client.key } },
      [`${root}/status`],
    );
    started(() => sub.stop());
    const tls = `\n  tls: { ca: ${pki.ca.cert}, cert: ${pki.client.cert}, key: ${pki.client.key} }`;
    track(startSyncNode(nodeConfig({ url: broker.url }).replace('keepaliveS: 5', `keepaliveS: 5${tls}`)));
    expect(await nth(sub, true, 1)).toMatchObject({ online: true, session: 1 });
  });
});
