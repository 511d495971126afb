/**
 * `benchloop ctl` as a person or a script runs it (the built CLI, a child process)
 * against a real Mosquitto and a real daemon: output for people and for scripts,
 * and the exit codes that say what happened — 0 ok, 1 reply error, 2 timeout,
 * 3 node offline, 64 usage, 69 broker unreachable, 77 credentials refused — plus
 * two `watch --share` processes splitting a node's telemetry between them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchloopClient } from '../../src/client/index.js';
import { freePort, type Mosquitto, mosquittoPub } from '../support/mosquitto.js';
import type { SyncNode } from '../support/sync-node.js';
import { nodeConfig, target } from '../support/sync-node.js';
import { makeTestPki } from '../support/tls-ca.js';
import {
  CtlProcess,
  connectClient,
  ctl,
  NODE,
  next,
  startBroker,
  startNode,
  stopAll,
} from './client-helpers.js';

let broker: Mosquitto;
let node: SyncNode;
let client: BenchloopClient;

// One broker and node for the tests that leave them running; the rest make their own.
beforeAll(async () => {
  broker = await startBroker();
  client = await connectClient(broker);
  await client.nodes.track();
  node = startNode(
    nodeConfig({ url: broker.url, periodMs: 50, extra: 'outbox: { batch: { maxAgeMs: 50 } }' }),
  );
  await client.nodes.waitFor(NODE, (n) => n?.online === true);
});
afterAll(stopAll);

const run = (...args: string[]) => ctl([...args, '--url', broker.url]);
const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe('benchloop ctl', () => {
  it('nodes, describe, send, read, set: text for people, JSON for scripts, exit 0', async () => {
    const nodes = await run('nodes');
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/^NODE +STATE +SESSION/);
    expect(nodes.stdout).toMatch(/test\/it-node +online +1 /);
    const listed = await run('nodes', 'test/+', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        site: 'test',
        node: 'it-node',
        online: true,
        session: 1,
        devices: ['chamber'],
      }),
    ]);

    const described = await run('describe', 'test/it-node');
    expect(described.stdout).toMatch(/chamber \(bme280\): temperature \[Cel\]/);
    expect(described.stdout).toMatch(/heater \(pwm\) = 0 in \[0, 1\], safe 0/);

    const ping = await run('send', 'test/it-node', 'ping', '--json');
    expect(ping.code).toBe(0);
    expect(parse(ping.stdout)).toEqual({ bootId: expect.any(String), uptimeMs: expect.any(Number) });

    const read = await run('read', 'test/it-node', 'chamber', 'temperature');
    expect(read.stdout).toMatch(/^chamber\/temperature +[\d.]+ Cel\n$/);
    const set = await run('set', 'test/it-node', 'heater', '0.2');
    expect(set).toMatchObject({ code: 0, stdout: 'test/it-node heater: 0 → 0.2\n' });
  });

  it('exit 1 when the node refuses: the message for people, the reply itself with --json', async () => {
    // Compared whole, so a failure shows what the CLI said.
    const refused = await run('set', 'test/it-node', 'heater', '1.9');
    expect(refused).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/set refused: out_of_range: command c-[0-9a-f]+-1 \(set\): args.value/),
    });
    const json = await run('send', 'test/it-node', 'read', '{"device":"nope"}', '--json');
    expect(json).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^\{"id":"c-[0-9a-f]+-1","ok":false,"error":\{"code":"not_found"/),
    });
  });

  it('exit 2 when an online node does not answer in time; exit 3 for an unknown node', async () => {
    const birth = {
      online: true,
      session: 1,
      bootId: 'b',
      version: '0',
      ts: 0,
      clock: { synced: true },
      devices: [],
      actuators: [],
      models: [],
    };
    await mosquittoPub(target(broker), 'benchloop/v1/test/silent/status', JSON.stringify(birth), {
      retain: true,
    });
    const silent = await run('send', 'test/silent', 'ping', '--timeout', '0.3');
    expect(silent.code).toBe(2);
    expect(silent.stderr).toMatch(/no reply to ping .* within 300 ms/);
    const unknown = await run('describe', 'test/nobody');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no status retained/);
  });

  it('exit 64 on usage errors, 69 when the broker is unreachable, 77 when it refuses the credentials', async () => {
    expect((await run('set', 'test/it-node', 'heater', 'hot')).code).toBe(64);
    expect((await run('send', 'not-an-address', 'ping')).code).toBe(64);
    expect((await ctl(['nodes'], { env: { BENCHLOOP_MQTT_URL: '' } })).code).toBe(64);
    const closed = await ctl(['nodes', '--url', `mqtt://127.0.0.1:${await freePort()}`]);
    expect(closed.code).toBe(69);
    expect(closed.stderr).toMatch(/connection refused: is the broker running/);

    const guarded = await startBroker({ users: { lab: 'right' } });
    const file = join(guarded.dir, 'wrong-password');
    writeFileSync(file, 'wrong\n');
    const denied = await ctl(['nodes', '--url', guarded.url, '--username', 'lab', '--password-file', file]);
    expect(denied.code).toBe(77);
    writeFileSync(file, 'right\n');
    const allowed = await ctl(['nodes', '--url', guarded.url, '--username', 'lab', '--password-file', file]);
    expect(allowed.code).toBe(0);
  });

  it('TLS: --ca, --cert and --key against a broker that requires a client certificate', async () => {
    const pki = await makeTestPki();
    const tls = await startBroker({
      tls: {
        caFile: pki.ca.cert,
        certFile: pki.server.cert,
        keyFile: pki.server.key,
        requireCertificate: true,
      },
    });
    try {
      const withCert = [
        'nodes',
        '--url',
        tls.url,
        '--ca',
        pki.ca.cert,
        '--cert',
        pki.client.cert,
        '--key',
        pki.client.key,
      ];
      expect(await ctl(withCert)).toMatchObject({ code: 0, stdout: 'no node has a status on this broker\n' });
      const untrusted = await ctl(['nodes', '--url', tls.url]);
      // Compared whole, so a failure shows what the CLI said.
      expect(untrusted).toMatchObject({
        code: 69,
        stderr: expect.stringMatching(/TLS: the broker's certificate is not trusted/),
      });
      expect(
        (await ctl(['nodes', '--url', tls.url, '--ca', pki.ca.cert, '--cert', pki.client.cert])).code,
      ).toBe(64);
    } finally {
      pki.remove();
    }
  });

  it('watch --json prints telemetry as it comes; two watch --share processes split it, each message once', async () => {
    const once = await run('watch', 'test/it-node', '--json', '--count', '3', '--no-events');
    expect(once.code).toBe(0);
    const lines = once.stdout.trim().split('\n').map(parse);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.type === 'telemetry' && l.node === 'test/it-node')).toBe(true);

    const workers = [0, 1].map(
      () => new CtlProcess(['watch', '--share', 'ctl-workers', '--no-events', '--json', '--url', broker.url]),
    );
    await Promise.all(
      workers.map((w) => w.until((p) => p.stderr.some((l) => l.includes('"ready"')), 'ready')),
    );
    // From the next seq on, both are in the group.
    const from =
      (await next<{ seq: number }>((l) => client.watch({ nodes: NODE, events: false }).on('telemetry', l)))
        .seq + 1;
    const seqsOf = (w: CtlProcess) =>
      w.stdout
        .map(parse)
        .filter((l) => l.type === 'telemetry')
        .map((l) => l.seq as number)
        .filter((s) => s >= from);
    const covered = () => {
      const all = new Set(workers.flatMap(seqsOf));
      return Array.from({ length: 40 }, (_, i) => from + i).every((s) => all.has(s));
    };
    await Promise.race(workers.map((w) => w.until(covered, '40 messages between the two')));
    for (const w of workers) w.interrupt();
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    const [a, b] = workers.map((w) => seqsOf(w).filter((s) => s < from + 40));
    expect(a!.length).toBeGreaterThan(0);
    expect(b!.length).toBeGreaterThan(0);
    expect(a!.length + b!.length).toBe(40);
    expect(a!.filter((s) => b!.includes(s))).toEqual([]);
  });

  // Last: it kills the shared node.
  it('exit 3 at once when the node is offline (its Last Will after SIGKILL)', async () => {
    node.daemon.kill('SIGKILL');
    await client.nodes.waitFor(NODE, (n) => n?.online === false);
    const started = Date.now();
    const offline = await run('set', 'test/it-node', 'heater', '0.1', '--timeout', '5');
    expect(offline.code).toBe(3);
    expect(offline.stderr).toMatch(/test\/it-node is offline \(session 1\)/);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
