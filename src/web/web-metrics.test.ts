import { afterEach, describe, expect, it } from 'vitest';
import { type FakeNode, fakeNode, json, request, serve } from './fake-node.test-support.js';
import type { WebServer } from './web-server.js';

const servers: WebServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(): Promise<{ fake: FakeNode; server: WebServer }> {
  const fake = await fakeNode();
  const server = await serve(fake);
  servers.push(server);
  return { fake, server };
}

/** The value of one series in the text format, or undefined. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('/metrics', () => {
  it('is the Prometheus text format with every series the issue asks for', async () => {
    const { fake, server } = await setup();
    fake.samples.publish([
      { d: 'chamber', c: 'temperature', t: 1, v: 36.9 },
      { d: 'chamber', c: 'humidity', t: 1, v: null, q: 'bad', e: 'crc' },
    ]);
    fake.state.devices[0]!.failures = 3;
    fake.state.devices[0]!.overruns = 2;
    fake.inferences.publish({ model: 'anomaly', latencyMs: 12 });
    fake.rig.hub.emit('device.error', { device: 'chamber' });
    const res = await request(server, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = res.body;
    expect(series(text, 'benchloop_samples_total{device="chamber",quality="good"}')).toBe(1);
    expect(series(text, 'benchloop_samples_total{device="chamber",quality="bad"}')).toBe(1);
    expect(series(text, 'benchloop_device_reads_total{device="chamber"}')).toBe(10);
    expect(series(text, 'benchloop_device_read_errors_total{device="chamber"}')).toBe(3);
    expect(series(text, 'benchloop_scheduler_overruns_total{device="chamber"}')).toBe(2);
    expect(series(text, 'benchloop_published_messages_total{stream="telemetry"}')).toBe(40);
    expect(series(text, 'benchloop_outbox_messages{stream="telemetry"}')).toBe(3);
    expect(series(text, 'benchloop_outbox_bytes{stream="events"}')).toBe(300);
    expect(series(text, 'benchloop_outbox_dropped_total{stream="telemetry"}')).toBe(0);
    expect(series(text, 'benchloop_mqtt_link_up')).toBe(1);
    expect(series(text, 'benchloop_mqtt_reconnects_total')).toBe(0);
    expect(series(text, 'benchloop_inference_latency_seconds_count{model="anomaly"}')).toBe(1);
    expect(series(text, 'benchloop_inference_latency_seconds_bucket{le="0.025",model="anomaly"}')).toBe(1);
    expect(series(text, 'benchloop_events_total{type="device.error"}')).toBe(1);
    expect(series(text, 'benchloop_actuator_value{actuator="heater"}')).toBe(0);
    expect(series(text, 'benchloop_info{site="test",node="test-node",version="0.1.0"}')).toBe(1);
    expect(text).toContain('# TYPE benchloop_event_loop_lag_seconds gauge');
    await expect
      .poll(async () =>
        series((await request(server, '/metrics')).body, 'benchloop_event_loop_lag_seconds{stat="p99"}'),
      )
      .toBeGreaterThanOrEqual(0);
  });

  it('keeps one registry per server: two nodes in one process never share counts', async () => {
    const a = await setup();
    const b = await setup();
    a.fake.samples.publish([{ d: 'chamber', c: 'temperature', t: 1, v: 1 }]);
    const good = 'benchloop_samples_total{device="chamber",quality="good"}';
    expect(series((await request(a.server, '/metrics')).body, good)).toBe(1);
    expect(series((await request(b.server, '/metrics')).body, good)).toBeUndefined();
  });

  it('follows the link: reconnects counted from the node, link_up 0 while down, nothing without a broker', async () => {
    const { fake, server } = await setup();
    Object.assign(fake.state.sync!.link!, { state: 'waiting', reconnects: 4, attempts: 9 });
    const down = (await request(server, '/metrics')).body;
    expect(series(down, 'benchloop_mqtt_link_up')).toBe(0);
    expect(series(down, 'benchloop_mqtt_reconnects_total')).toBe(4);
    expect(series(down, 'benchloop_mqtt_connect_attempts_total')).toBe(9);
    fake.state.sync = undefined;
    const standalone = (await request(server, '/metrics')).body;
    expect(series(standalone, 'benchloop_mqtt_link_up')).toBeUndefined();
    expect(standalone).not.toContain('benchloop_outbox_messages{');
  });
});

describe('/healthz', () => {
  it('200 when live and ready, with empty reasons', async () => {
    const { server } = await setup();
    for (const path of ['/healthz', '/healthz/live', '/healthz/ready']) {
      const res = await request(server, path);
      expect(res.status, path).toBe(200);
      expect(json(res)).toEqual({
        status: 'ok',
        live: { ok: true, reasons: [] },
        ready: { ok: true, reasons: [] },
        warnings: [],
      });
    }
  });

  it('503 not ready with the reasons (link down, a device failing) while still live', async () => {
    const { fake, server } = await setup();
    Object.assign(fake.state.sync!.link!, {
      state: 'waiting',
      lastError: 'MQTT broker mqtt://127.0.0.1:1883: connection refused',
    });
    Object.assign(fake.state.devices[0]!, { ok: false, consecutiveFailures: 4, lastError: 'EREMOTEIO' });
    const res = await request(server, '/healthz');
    expect(res.status).toBe(503);
    expect(json(res)).toMatchObject({
      status: 'fail',
      live: { ok: true },
      ready: {
        ok: false,
        reasons: [
          'chamber: reads failing (4 in a row): EREMOTEIO',
          'broker link waiting (mqtt://127.0.0.1:1883): MQTT broker mqtt://127.0.0.1:1883: connection refused',
        ],
      },
    });
    expect((await request(server, '/healthz/live')).status).toBe(200);
    expect((await request(server, '/healthz/ready')).status).toBe(503);
  });

  it('a tripped interlock is a warning, not a fault: the node is doing its job', async () => {
    const { fake, server } = await setup();
    fake.state.interlocks[0] = { ...fake.state.interlocks[0]!, tripped: true, reason: 'door/level = 1' };
    const res = await request(server, '/healthz');
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({
      status: 'warn',
      warnings: ['interlock door-open tripped: door/level = 1'],
    });
  });
});
