import { Script } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  countSubscriptions,
  type FakeNode,
  fakeNode,
  json,
  postJson,
  request,
  serve,
  T0,
} from './fake-node.test-support.js';
import type { WebServer } from './web-server.js';

const servers: WebServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(config: Record<string, unknown> = {}): Promise<{ fake: FakeNode; server: WebServer }> {
  const fake = await fakeNode();
  const server = await serve(fake, config);
  servers.push(server);
  return { fake, server };
}

describe('web server: pages and status', () => {
  it('serves the page, its script and stylesheet, all from itself (CSP: nothing from elsewhere)', async () => {
    const { server } = await setup();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const page = await request(server, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'; script-src 'self'");
    expect(page.body).toContain('<script src="app.js" defer></script>');
    expect(page.body).not.toMatch(/https?:\/\//);
    const script = await request(server, '/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // It must at least parse: the browser tests (test/e2e) run it.
    expect(() => new Script(script.body)).not.toThrow();
    expect((await request(server, '/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await request(server, '/', { method: 'HEAD' })).status).toBe(200);
  });

  it('answers /api/status with every section, models and plan empty until those features land', async () => {
    const { fake, server } = await setup();
    fake.samples.publish([{ d: 'chamber', c: 'temperature', t: T0, v: 36.97 }]);
    const status = json(await request(server, '/api/status'));
    expect(status).toMatchObject({
      now: T0,
      node: { id: 'test-node', site: 'test' },
      version: '0.1.0',
      health: { state: 'ok', live: { ok: true }, ready: { ok: true } },
      link: {
        state: 'online',
        broker: 'mqtt://127.0.0.1:1883',
        session: 7,
        reconnects: 0,
        lastConnectAt: T0,
      },
      outbox: {
        backlogMessages: 4,
        backlogBytes: 1500,
        backlogItems: 33,
        dropped: 0,
        published: { telemetry: 40 },
      },
      models: [],
      plan: null,
      control: { local: false },
    });
    expect(status.devices[0].channels).toEqual([
      { id: 'temperature', unit: 'Cel', latest: { t: T0, v: 36.97 } },
      { id: 'humidity', unit: '%', latest: null },
    ]);
    expect(status.actuators[0]).toEqual({
      id: 'heater',
      type: 'pwm',
      value: 0,
      envelope: { min: 0, max: 1, safe: 0, maxStep: 0.5, maxRatePerS: null },
      heldBy: [],
    });
    expect(status.interlocks).toEqual([
      { id: 'door-open', condition: 'door/level = 1', tripped: false, reason: null },
    ]);
  });

  it("lists the node's models (describe's name, version, active) and a running plan's progress", async () => {
    const { fake, server } = await setup();
    const describe = fake.node.describe;
    fake.node.describe = () => ({
      ...describe(),
      models: [
        { name: 'anomaly', version: '3', sha256: 'ab', active: true },
        { name: 'anomaly', version: '4', sha256: 'cd', active: false, shadow: true },
      ],
    });
    const status = fake.node.status;
    const progress = { stepsDone: 2, stepsTotal: 5, elapsedMs: 120_000, estimatedMs: 300_000, fraction: 0.4 };
    fake.node.status = () => ({
      ...status(),
      plan: { planId: 'ramp-1', name: 'Ramp to 37', state: 'running', progress },
    });
    const view = json(await request(server, '/api/status'));
    expect(view.models).toEqual([
      { id: 'anomaly', version: '3', state: 'active' },
      { id: 'anomaly', version: '4', state: 'shadow' },
    ]);
    expect(view.plan).toEqual({
      id: 'ramp-1',
      name: 'Ramp to 37',
      state: 'running',
      stepsDone: 2,
      stepsTotal: 5,
      progress: 0.4,
      elapsedMs: 120_000,
      estimatedMs: 300_000,
    });
  });

  it('shows a standalone node (no broker) as such, not as a broken link', async () => {
    const { fake, server } = await setup();
    fake.state.sync = undefined;
    const status = json(await request(server, '/api/status'));
    expect(status).toMatchObject({ link: null, outbox: null, health: { state: 'ok' } });
  });
});

describe('web server: bad requests get the status that says why', () => {
  it('404 for an unknown path, 405 with Allow for a wrong method', async () => {
    const { server } = await setup();
    const missing = await request(server, '/nope');
    expect(missing.status).toBe(404);
    expect(json(missing)).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no such page: /nope' },
    });
    const wrong = await request(server, '/api/status', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
    expect(json(wrong).error.message).toBe('DELETE is not allowed here; allowed: GET');
    expect((await request(server, '/api/read')).status).toBe(405);
  });

  it('400 for a target that is not a path or a missing Host; 403 for a foreign Host on loopback (DNS rebinding)', async () => {
    const { server } = await setup();
    expect((await request(server, 'http://example.com/api/status')).status).toBe(400);
    const foreign = await request(server, '/api/status', { headers: { host: 'attacker.example:8080' } });
    expect(foreign.status).toBe(403);
    expect(json(foreign).error.message).toContain('answers to 127.0.0.1 and localhost only');
    expect(
      (await request(server, '/api/status', { headers: { host: `localhost:${server.port}` } })).status,
    ).toBe(200);
    const noHost = await rawExchange(server.port, 'GET /api/status HTTP/1.0\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('400 for a body that is not a JSON object, 415 for another content type, 413 past the size bound', async () => {
    const { server } = await setup({ localControl: true });
    const notJson = await postJson(server, '/api/actuators/heater', '{"value":');
    expect(notJson.status).toBe(400);
    expect(json(notJson).error.message).toMatch(/^the body is not JSON/);
    expect((await postJson(server, '/api/actuators/heater', '[1]')).status).toBe(400);
    const form = await request(server, '/api/actuators/heater', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'value=1',
    });
    expect(form.status).toBe(415);
    const big = await postJson(server, '/api/actuators/heater', { value: 0.1, pad: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
  });
});

describe('web server: start and close', () => {
  it('a taken port is an error that says what to do, and leaves nothing subscribed', async () => {
    const { fake, server } = await setup();
    const subscriptions = countSubscriptions(fake.samples);
    await expect(serve(fake, { port: server.port })).rejects.toThrow(
      `web: cannot listen on 127.0.0.1:${server.port}: EADDRINUSE (the port is taken: set web.port, or web.enabled: false)`,
    );
    expect(subscriptions.live).toBe(0);
  });

  it('ends live streams, stops listening and unsubscribes from the hubs', async () => {
    const fake = await fakeNode();
    const subscriptions = countSubscriptions(fake.samples);
    const server = await serve(fake);
    expect(subscriptions.live).toBe(2);
    const ended = new Promise<void>((resolve) => {
      void fetch(`${server.url}api/stream`).then(async (res) => {
        for await (const _ of res.body!) {
          // Drain until the server ends the stream.
        }
        resolve();
      });
    });
    await expect
      .poll(async () => (await fetch(`${server.url}metrics`)).text())
      .toContain('benchloop_web_live_clients 1');
    await server.close();
    await ended;
    expect(subscriptions.live).toBe(0);
    await expect(fetch(server.url)).rejects.toThrow();
  });
});

/** Raw bytes on a socket: for requests node:http and fetch refuse to send (no Host). */
async function rawExchange(port: number, bytes: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}
