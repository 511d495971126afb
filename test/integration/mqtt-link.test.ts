/**
 * MqttLink against a real Mosquitto started by the tests (test/support/mosquitto.ts),
 * observed with `mosquitto_sub`/`mosquitto_pub` as an orchestrator would. The Last
 * Will test SIGKILLs a child running the compiled link (`npm test` builds first;
 * alone: `npx tsc -p tsconfig.json`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type InboundPacket,
  MqttLink,
  type MqttLinkOptions,
  type RetryInfo,
} from '../../src/sync/mqtt-link.js';
import { Mosquitto, MosquittoSub, mosquittoPub } from '../support/mosquitto.js';
import { makeCa, makeTestPki, type TestPki } from '../support/tls-ca.js';

const root = join(import.meta.dirname, '../..');
const childScript = join(root, 'dist/test/integration/fixtures/mqtt-link-child.js');
const FAST = { initialMs: 20, maxMs: 400, jitter: 'full' } as const;

const links: MqttLink[] = [];
let ids = 0;
const uniqueId = (what: string) => `it-${process.pid}-${++ids}-${what}`;

function newLink(options: Omit<MqttLinkOptions, 'clientId'> & { clientId?: string }): MqttLink {
  const link = new MqttLink({ reconnect: FAST, clientId: uniqueId('link'), ...options });
  links.push(link);
  return link;
}

afterEach(async () => {
  await Promise.all([...links.splice(0).map((l) => l.end({ timeoutMs: 1000 })), MosquittoSub.stopAll()]);
});

function nextRetry(link: MqttLink, test: (r: RetryInfo) => boolean = () => true): Promise<RetryInfo> {
  return new Promise((resolve) => {
    const off = link.on('retry', (r) => {
      if (!test(r)) return;
      off();
      resolve(r);
    });
  });
}

function messages(link: MqttLink): Promise<{ topic: string; payload: string; packet: InboundPacket }> {
  return new Promise((resolve) => {
    const off = link.onMessage((topic, payload, packet) => {
      off();
      resolve({ topic, payload: payload.toString(), packet });
    });
  });
}

describe('MqttLink and Mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker?.cleanup();
  });

  it('connects with a persistent session and resolves a QoS 1 publish on its PUBACK', async () => {
    const sub = await MosquittoSub.start({ port: broker.port }, ['it/basic/#']);
    const clientId = uniqueId('basic');
    const link = newLink({ url: broker.url, clientId });
    await expect(link.publish('it/basic/t', 'early')).rejects.toMatchObject({ kind: 'offline' });
    link.start();
    expect(await link.whenConnected()).toMatchObject({ attempt: 1, sessionPresent: false, reconnect: false });
    // Mosquitto logs the CONNECT flags: protocol 4, clean session 0, keepalive 30.
    await broker.waitForLog(new RegExp(`as ${clientId} \\(p2, c0, k30\\)`));
    await link.publish('it/basic/t', '{"seq":1}');
    expect(link.stats()).toMatchObject({ state: 'online', connects: 1, reconnects: 0, inFlight: 0 });
    expect(await sub.waitFor((m) => m.topic === 'it/basic/t')).toMatchObject({
      payload: '{"seq":1}',
      qos: 1,
      retain: false,
    });
    await sub.stop();
  });

  it('end() publishes the death and has its PUBACK before DISCONNECT, so the Will is never sent', async () => {
    const status = 'it/end/status';
    const sub = await MosquittoSub.start({ port: broker.port }, ['it/end/#']);
    const clientId = uniqueId('end');
    const link = newLink({
      url: broker.url,
      clientId,
      willFor: () => ({ topic: status, payload: '{"online":false,"session":1,"via":"will"}', retain: true }),
    });
    link.start();
    await link.whenConnected();
    await link.publish(status, '{"online":true,"session":1}', { retain: true });
    let deathAcked = false;
    await link.end({
      beforeClose: async (l) => {
        await l.publish(status, '{"online":false,"session":1}', { retain: true });
        deathAcked = true;
      },
    });
    expect(deathAcked).toBe(true);
    await broker.waitForLog(new RegExp(`Client ${clientId} disconnected\\.`));
    // Mosquitto handles one client's packets in order: once a later publish is through, a Will would have been too.
    await mosquittoPub({ port: broker.port }, 'it/end/fence', 'fence');
    await sub.waitFor((m) => m.topic === 'it/end/fence');
    expect(sub.on(status).map((m) => m.payload)).toEqual([
      '{"online":true,"session":1}',
      '{"online":false,"session":1}',
    ]);
    await sub.stop();
  });

  it('MQTT 5: a command brings its Response Topic and Correlation Data, and the reply can echo them', async () => {
    const cmd = 'it/v5/cmd';
    const link = newLink({ url: broker.url, protocolVersion: 5 });
    const received = messages(link);
    void link.subscribe(cmd, 1);
    link.start();
    await link.whenConnected();
    const v5 = { port: broker.port, version: 5 } as const;
    const sub = await MosquittoSub.start(v5, ['it/v5/replies/#']);
    await mosquittoPub(v5, cmd, '{"id":"c-7","name":"ping"}', {
      properties: [
        ['publish', 'response-topic', 'it/v5/replies/orch-1'],
        ['publish', 'correlation-data', 'corr-7'],
      ],
    });
    const { packet, payload } = await received;
    expect(payload).toBe('{"id":"c-7","name":"ping"}');
    expect(packet.responseTopic).toBe('it/v5/replies/orch-1');
    expect(packet.correlationData?.toString()).toBe('corr-7');
    await link.publish(packet.responseTopic!, '{"id":"c-7","ok":true}', {
      properties: { correlationData: packet.correlationData },
    });
    const reply = await sub.waitFor((m) => m.topic === 'it/v5/replies/orch-1');
    expect(reply.properties).toMatchObject({ 'correlation-data': 'corr-7' });
    await sub.stop();
  });

  it('reconnects after the broker comes back, waiting longer after each refused attempt', async () => {
    const link = newLink({
      url: broker.url,
      reconnect: { initialMs: 25, maxMs: 1000, jitter: 'full' },
      // The top of each full-jitter window: the schedule is then exact, whatever the machine's speed.
      random: () => 0.999_999,
    });
    const retries: RetryInfo[] = [];
    link.on('retry', (r) => retries.push(r));
    const disconnected = new Promise((resolve) => link.on('disconnected', resolve));
    link.start();
    await link.whenConnected();
    const refusedFourTimes = nextRetry(
      link,
      () => retries.filter((r) => r.error.kind === 'refused').length >= 4,
    );
    await broker.stop();
    expect(await disconnected).toMatchObject({ reason: expect.stringContaining(broker.url) });
    await refusedFourTimes;
    const reconnected = link.whenConnected();
    await broker.start();
    expect(await reconnected).toMatchObject({ reconnect: true, sessionPresent: true });
    expect(retries.slice(0, 5).map((r) => r.delayMs)).toEqual([25, 50, 100, 200, 400]);
    const refused = retries.find((r) => r.error.kind === 'refused')!;
    expect(refused.error.message).toContain(`MQTT broker ${broker.url}: connection refused`);
    expect(link.stats()).toMatchObject({ state: 'online', connects: 2, reconnects: 1 });
  });

  it('rejects a publish whose connection dies before the PUBACK, and does not resend it behind the caller', async () => {
    const link = newLink({ url: broker.url, reconnect: { initialMs: 20, maxMs: 100, jitter: 'full' } });
    link.start();
    await link.whenConnected();
    broker.freeze();
    // Settled into a value at once: the rejection may come while the broker is still being killed.
    const lost = link.publish('it/lost/t', 'in flight').then(
      () => Promise.reject(new Error('the publish resolved')),
      (error: unknown) => error,
    );
    expect(link.stats().inFlight).toBe(1);
    await broker.kill();
    await expect(lost).resolves.toMatchObject({
      kind: 'closed',
      message: expect.stringContaining('before PUBACK'),
    });
    await broker.start();
    await link.whenConnected();
    const sub = await MosquittoSub.start({ port: broker.port }, ['it/lost/#']);
    await link.publish('it/lost/t', 'resent by the caller');
    await sub.waitFor((m) => m.payload === 'resent by the caller');
    expect(sub.messages.map((m) => m.payload)).toEqual(['resent by the caller']);
  });

  it.each([4, 5] as const)(
    'MQTT %s: a QoS 1 command published while the node was away arrives after it reconnects',
    async (version) => {
      const clientId = uniqueId(`queued-v${version}`);
      const cmd = `it/queued/${version}/cmd`;
      const before = newLink({ url: broker.url, clientId, protocolVersion: version });
      const granted = before.subscribe(cmd, 1);
      before.start();
      await before.whenConnected();
      expect(await granted).toBe(1);
      await before.end();
      await mosquittoPub({ port: broker.port }, cmd, '{"id":"c-1","name":"ping"}', { qos: 1 });
      // The queued message outlives a broker restart too: Mosquitto saves its database on SIGTERM.
      await broker.restart();
      const after = newLink({ url: broker.url, clientId, protocolVersion: version });
      const received = messages(after);
      void after.subscribe(cmd, 1);
      after.start();
      expect(await after.whenConnected()).toMatchObject({ sessionPresent: true });
      expect(await received).toMatchObject({
        topic: cmd,
        payload: '{"id":"c-1","name":"ping"}',
        packet: { qos: 1 },
      });
    },
  );

  it('the Last Will carries the session of the attempt that connected, when the process dies without DISCONNECT', async () => {
    if (
      !existsSync(childScript) ||
      statSync(childScript).mtimeMs < statSync(join(root, 'src/sync/mqtt-link.ts')).mtimeMs
    )
      throw new Error(`${childScript} is missing or stale: build first (npx tsc -p tsconfig.json)`);
    const status = 'it/will/status';
    const child = spawn(process.execPath, [childScript, broker.url, uniqueId('child'), status], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = lineReader(child);
      await lines.next(/^online 1$/);
      // Every attempt while the broker is away takes a new session and registers that session's Will.
      await broker.restart();
      const session = Number((await lines.next(/^online (\d+)$/))[1]);
      expect(session).toBeGreaterThan(1);
      const sub = await MosquittoSub.start({ port: broker.port }, [status]);
      await sub.waitFor((m) => m.payload === `{"online":true,"session":${session}}`, 'retained birth');
      child.kill('SIGKILL');
      const will = await sub.waitFor((m) => JSON.parse(m.payload).online === false, 'Last Will');
      expect(JSON.parse(will.payload)).toEqual({ online: false, session });
      // Retained, so an orchestrator that starts later learns the node is gone, and in which session.
      const late = await MosquittoSub.start({ port: broker.port }, [status]);
      expect(await late.waitFor(() => true)).toMatchObject({ payload: will.payload, retain: true });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('MqttLink and a Mosquitto with passwords', () => {
  let broker: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    broker = await Mosquitto.start({ users: { 'node-01': 'correct horse' } });
    dir = mkdtempSync(join(tmpdir(), 'benchloop-pw-'));
  });
  afterAll(async () => {
    await broker?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the password from passwordFile (a trailing newline is not part of it)', async () => {
    const passwordFile = join(dir, 'good');
    writeFileSync(passwordFile, 'correct horse\n', { mode: 0o600 });
    const link = newLink({ url: broker.url, username: 'node-01', passwordFile });
    link.start();
    await link.whenConnected();
    await link.publish('it/auth/t', 'x');
  });

  it('says a wrong password is an authentication failure, without showing it', async () => {
    const passwordFile = join(dir, 'bad');
    writeFileSync(passwordFile, 'battery staple\n', { mode: 0o600 });
    const link = newLink({ url: broker.url, username: 'node-01', passwordFile });
    const retry = nextRetry(link);
    link.start();
    const { error } = await retry;
    expect(error.kind).toMatch(/^(auth|not-authorized)$/);
    expect(error.message).toContain(`MQTT broker ${broker.url}: connection refused`);
    expect(error.message).toContain('mqtt.passwordFile');
    expect(error.message).not.toContain('battery');
  });
});

describe('MqttLink over TLS', () => {
  let broker: Mosquitto;
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
    broker = await Mosquitto.start({
      tls: {
        caFile: pki.ca.cert,
        certFile: pki.server.cert,
        keyFile: pki.server.key,
        requireCertificate: true,
      },
    });
  });
  afterAll(async () => {
    await broker?.cleanup();
    pki?.remove();
  });

  it('connects with the CA and a client certificate made at test time', async () => {
    const link = newLink({
      url: broker.url,
      tls: { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key },
    });
    link.start();
    await link.whenConnected();
    const tls = { caFile: pki.ca.cert, certFile: pki.client.cert, keyFile: pki.client.key };
    const sub = await MosquittoSub.start({ port: broker.port, tls }, ['it/tls/#']);
    await link.publish('it/tls/t', 'over tls');
    expect((await sub.waitFor((m) => m.topic === 'it/tls/t')).payload).toBe('over tls');
    await sub.stop();
  });

  it('says when the broker certificate is not signed by the configured CA', async () => {
    const other = await makeCa(pki.dir, 'some-other-ca');
    const link = newLink({
      url: broker.url,
      tls: { ca: other.cert, cert: pki.client.cert, key: pki.client.key },
    });
    const retry = nextRetry(link);
    link.start();
    const { error } = await retry;
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(
      /^MQTT broker mqtts:\/\/127\.0\.0\.1:\d+: TLS: .*not trusted.*mqtt\.tls\.ca/,
    );
  });

  it('says when the broker refuses the handshake for want of a client certificate', async () => {
    const link = newLink({ url: broker.url, tls: { ca: pki.ca.cert } });
    const retry = nextRetry(link);
    link.start();
    const { error } = await retry;
    expect(error.kind).toBe('tls');
    expect(error.message).toContain('mqtt.tls.cert');
  });
});

function lineReader(child: ChildProcess): { next(pattern: RegExp): Promise<RegExpExecArray> } {
  const queue: string[] = [];
  let waiter: (() => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    queue.push(line);
    waiter?.();
  });
  return {
    /** The next line, from those not yet consumed, that matches; earlier ones are consumed with it. */
    async next(pattern) {
      for (;;) {
        while (queue.length > 0) {
          const match = pattern.exec(queue.shift()!);
          if (match) return match;
        }
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before ${pattern}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
    },
  };
}
