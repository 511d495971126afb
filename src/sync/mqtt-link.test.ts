import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/mosquitto.js';
import { linkConfigSchema } from '../config/mqtt-schema.js';
import { backoffDelay, linkOptionsFromConfig } from './link-options.js';
import { describeError, MqttLink, MqttLinkError, type RetryInfo, redactUrl } from './mqtt-link.js';

/** mulberry32: seeded, so a failing case replays. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 5000, jitter: 'full' } as const;

  it('full jitter: the window doubles per failure up to maxMs, and draws are spread over all of it', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(policy, n, 0, top))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    const random = seeded(7);
    const draws = Array.from({ length: 2000 }, () => backoffDelay(policy, 4, 0, random));
    expect(Math.min(...draws)).toBeLessThan(40);
    expect(Math.max(...draws)).toBeGreaterThan(760);
    expect(draws.every((d) => d >= 0 && d <= 800)).toBe(true);
  });

  it('decorrelated jitter: between initialMs and three times the previous wait, capped', () => {
    const decorrelated = { ...policy, jitter: 'decorrelated' } as const;
    const random = seeded(11);
    let previous = 0;
    for (let n = 1; n <= 200; n++) {
      const delay = backoffDelay(decorrelated, n, previous, random);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(Math.min(5000, Math.max(100, previous * 3)));
      previous = delay;
    }
    expect(backoffDelay(decorrelated, 9, 4000, () => 0.999_999)).toBe(5000);
  });
});

describe('describeError', () => {
  const url = 'mqtts://broker.lab:8883';

  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'refused', /is the broker running/],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }, 'dns', /host name not found.*DNS/],
    [{ code: 4, message: 'Connection refused: Bad username or password' }, 'auth', /mqtt\.passwordFile/],
    [{ code: 0x86, message: 'Connection refused: Bad User Name or Password' }, 'auth', /mqtt\.username/],
    [{ code: 5, message: 'Connection refused: Not authorized' }, 'not-authorized', /ACL/],
    [
      { code: 1, message: 'Connection refused: Unacceptable protocol version' },
      'protocol',
      /protocolVersion/,
    ],
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate' }, 'tls', /mqtt\.tls\.ca/],
    [{ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }, 'tls', /does not speak TLS/],
    [{ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'tls', /clock/],
    [new Error('connack timeout'), 'timeout', /connectTimeoutMs/],
  ])('%o → %s', (error, kind, hint) => {
    const described = describeError(error, url);
    expect(described).toBeInstanceOf(MqttLinkError);
    expect(described.kind).toBe(kind);
    expect(described.message).toMatch(hint);
    expect(described.message).toContain(url);
  });

  it('says which operation a reason code refused', () => {
    const described = describeError({ code: 0x87, message: 'x' }, url, 'publish to a/b');
    expect(described.message).toBe(
      `MQTT broker ${url}: publish to a/b refused (not authorized): check the broker's ACL for this user, client id or client certificate`,
    );
  });

  it('never shows credentials of the url', () => {
    expect(redactUrl('mqtt://node:hunter2@broker.lab:1883')).toBe('mqtt://broker.lab:1883');
    expect(new MqttLink({ url: 'mqtt://node:hunter2@broker.lab:1883', clientId: 'c' }).url).not.toContain(
      'hunter2',
    );
  });
});

describe('linkConfigSchema', () => {
  it('fills defaults, and derives a stable clientId from the node', () => {
    const config = linkConfigSchema.parse({ url: 'mqtt://broker.lab:1883' });
    expect(config).toMatchObject({
      protocolVersion: 4,
      keepaliveS: 30,
      reconnect: { initialMs: 1000, maxMs: 60_000, jitter: 'full' },
      embedded: false,
      embeddedPort: 1883,
    });
    expect(linkOptionsFromConfig(config, { site: 'lab-3', id: 'incubator-01' }).clientId).toBe(
      'benchloop-lab-3-incubator-01',
    );
  });

  it('points an embedded node at 127.0.0.1:embeddedPort', () => {
    const config = linkConfigSchema.parse({ embedded: true, embeddedPort: 18830 });
    expect(linkOptionsFromConfig(config, { site: 's', id: 'n' }).url).toBe('mqtt://127.0.0.1:18830');
  });

  it.each([
    [{ url: 'mqtt://b:1883', keepalive: 30 }, 'unrecognized_keys'],
    [{}, 'give the broker url'],
    [{ embedded: true, protocolVersion: 5 }, 'MQTT 3.1.1 only'],
    [{ embedded: true, url: 'mqtt://b:1883' }, 'remove url'],
    [{ url: 'mqtt://node:pw@b:1883' }, 'credentials in the url'],
    [{ url: 'mqtt://b:1883', passwordFile: '/run/pw' }, 'needs a username'],
    [{ url: 'mqtt://b:1883', tls: { ca: '/ca.pem' } }, 'mqtts://'],
    [{ url: 'mqtts://b:8883', tls: { cert: '/c.pem' } }, 'cert and key go together'],
    [{ url: 'http://b' }, 'a broker URL'],
  ])('rejects %o', (input, problem) => {
    const result = linkConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(problem);
  });
});

describe('MqttLink without a broker', () => {
  const links: MqttLink[] = [];
  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.end()));
  });

  it('rejects a publish while not connected, without queueing it', async () => {
    const link = new MqttLink({ url: 'mqtt://127.0.0.1:1', clientId: 'c' });
    await expect(link.publish('t', 'x')).rejects.toMatchObject({ kind: 'offline' });
  });

  it('retries a refused connection with growing waits, naming the broker', async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const link = new MqttLink({
      url,
      clientId: 'retry-test',
      reconnect: { initialMs: 10, maxMs: 200, jitter: 'full' },
      random: () => 0.999_999,
    });
    links.push(link);
    const retries: RetryInfo[] = [];
    const fifth = new Promise<void>((resolve) =>
      link.on('retry', (r) => {
        retries.push(r);
        if (retries.length === 6) resolve();
      }),
    );
    link.start();
    await fifth;
    expect(retries.map((r) => r.delayMs)).toEqual([10, 20, 40, 80, 160, 200]);
    expect(retries.map((r) => r.attempt)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(retries[0]!.error.kind).toBe('refused');
    expect(retries[0]!.error.message).toContain(url);
    expect(link.stats()).toMatchObject({ connects: 0, reconnects: 0, lastError: retries[0]!.error.message });
  });

  it('reads the password file at each attempt and names it, not its content, when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchloop-link-'));
    const passwordFile = join(dir, 'missing');
    const link = new MqttLink({
      url: `mqtt://127.0.0.1:${await freePort()}`,
      clientId: 'pw-test',
      username: 'node',
      passwordFile,
      reconnect: { initialMs: 10, maxMs: 20, jitter: 'full' },
    });
    links.push(link);
    const first = new Promise<RetryInfo>((resolve) => link.on('retry', resolve));
    link.start();
    const { error } = await first;
    expect(error.kind).toBe('config');
    expect(error.message).toContain(`cannot read mqtt.passwordFile ${passwordFile} (ENOENT)`);
    writeFileSync(passwordFile, 'hunter2\n');
    const refused = new Promise<RetryInfo>((resolve) =>
      link.on('retry', (r) => r.error.kind !== 'config' && resolve(r)),
    );
    expect((await refused).error.kind).toBe('refused');
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a Will at every attempt', async () => {
    const seen: number[] = [];
    const link = new MqttLink({
      url: `mqtt://127.0.0.1:${await freePort()}`,
      clientId: 'will-test',
      reconnect: { initialMs: 10, maxMs: 20, jitter: 'full' },
      willFor: ({ attempt }) => {
        seen.push(attempt);
        return {
          topic: 'status',
          payload: JSON.stringify({ online: false, session: attempt }),
          retain: true,
        };
      },
    });
    links.push(link);
    const third = new Promise<void>((resolve) => link.on('retry', (r) => r.attempt === 4 && resolve()));
    link.start();
    await third;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('ends while waiting to retry', async () => {
    const link = new MqttLink({
      url: `mqtt://127.0.0.1:${await freePort()}`,
      clientId: 'end-test',
      reconnect: { initialMs: 60_000, maxMs: 60_000, jitter: 'full' },
      random: () => 0.5,
    });
    const waiting = new Promise<void>((resolve) => link.on('retry', () => resolve()));
    link.start();
    // Settled into a value at once: it rejects while end() is still running.
    const connected = link.whenConnected().then(
      () => Promise.reject(new Error('whenConnected resolved')),
      (error: unknown) => error,
    );
    await waiting;
    await link.end();
    expect(link.stats().state).toBe('closed');
    await expect(connected).resolves.toMatchObject({ kind: 'closed' });
  });
});
