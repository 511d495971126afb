import { afterEach, describe, expect, it } from 'vitest';
import type { NodeEvent } from '../events/event-hub.js';
import { type FakeNode, fakeNode, json, postJson, serve } from './fake-node.test-support.js';
import type { WebServer } from './web-server.js';

const servers: WebServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(localControl: boolean): Promise<{ fake: FakeNode; server: WebServer }> {
  const fake = await fakeNode();
  const server = await serve(fake, { localControl });
  servers.push(server);
  return { fake, server };
}

const rejected = (events: NodeEvent[]) => events.filter((e) => e.type === 'command.rejected');

describe('local control', () => {
  it('is off by default: 403 for read and set, and no output moves', async () => {
    const { fake, server } = await setup(false);
    const set = await postJson(server, '/api/actuators/heater', { value: 0.2 });
    expect(set.status).toBe(403);
    expect(json(set).error).toEqual({
      code: 'forbidden',
      message: 'local control is off on this node (web.localControl: false)',
    });
    expect((await postJson(server, '/api/read', {})).status).toBe(403);
    expect(fake.rig.actuators.get('heater')!.value).toBe(0);
    expect(fake.rig.events.filter((e) => e.type === 'actuator.changed')).toEqual([]);
  });

  it('sets through the safety gate, and the gate names the page as the writer', async () => {
    const { fake, server } = await setup(true);
    const set = await postJson(server, '/api/actuators/heater', { value: 0.4 });
    expect(set.status).toBe(200);
    expect(json(set)).toEqual({ ok: true, result: { actuator: 'heater', value: 0.4, previous: 0 } });
    expect(fake.rig.gpio.dutyCycle(18)).toBeCloseTo(0.4);
    const changed = fake.rig.events.find((e) => e.type === 'actuator.changed')!;
    expect(changed).toMatchObject({ actuator: 'heater', value: 0.4, source: 'local' });
    expect(changed.by).toMatch(/^web-[0-9a-f]{8}$/);
  });

  it("returns the gate's refusals with their codes, never clamps, and audits each as command.rejected", async () => {
    const { fake, server } = await setup(true);
    const cases: Array<[string, unknown, number, string]> = [
      ['heater', 1.5, 422, 'out_of_range'],
      ['heater', 0.9, 422, 'out_of_range'], // a step of 0.9 > maxStep 0.5
      ['fan', 0.5, 400, 'invalid_args'], // a relay is on/off
      ['pump', 1, 404, 'not_found'],
    ];
    for (const [actuator, value, status, code] of cases) {
      const res = await postJson(server, `/api/actuators/${actuator}`, { value });
      expect({ actuator, value, status: res.status, code: json(res).error.code }).toEqual({
        actuator,
        value,
        status,
        code,
      });
    }
    expect(fake.rig.gpio.dutyCycle(18)).toBe(0);
    expect(rejected(fake.rig.events).map((e) => [e.name, e.code, e.origin])).toEqual([
      ['set', 'out_of_range', 'local'],
      ['set', 'out_of_range', 'local'],
      ['set', 'invalid_args', 'local'],
      ['set', 'not_found', 'local'],
    ]);
  });

  it('409 busy while an interlock holds the output', async () => {
    const { fake, server } = await setup(true);
    await fake.rig.actuators.hold('heater', 'door-open', 0);
    const res = await postJson(server, '/api/actuators/heater', { value: 0.2 });
    expect(res.status).toBe(409);
    expect(json(res).error).toEqual({ code: 'busy', message: 'heater is held at 0 by interlock door-open' });
  });

  it('400 for arguments that are not the one expected number', async () => {
    const { server } = await setup(true);
    const wrong = await postJson(server, '/api/actuators/heater', { value: '0.3' });
    expect(wrong.status).toBe(400);
    expect(json(wrong).error.message).toBe('value: found "0.3"; expected a number');
    const extra = await postJson(server, '/api/actuators/heater', { value: 0.3, force: true });
    expect(json(extra).error.message).toBe('unknown key "force"; allowed keys: value');
    expect((await postJson(server, '/api/actuators/heater', {})).status).toBe(400);
  });

  it('reads now, one device or all; an unknown device is 404 and a failed read 502', async () => {
    const { fake, server } = await setup(true);
    const one = await postJson(server, '/api/read', { device: 'door' });
    expect(json(one)).toEqual({
      ok: true,
      result: { samples: [{ d: 'door', c: 'temperature', t: expect.any(Number), v: 36.9 }] },
    });
    expect((await postJson(server, '/api/read', {})).status).toBe(200);
    const unknown = await postJson(server, '/api/read', { device: 'oven' });
    expect(unknown.status).toBe(404);
    expect(json(unknown).error.message).toBe('no device "oven"; devices: chamber, door');
    fake.state.readNow = () => Promise.reject(new Error('i2c read failed: EIO'));
    const failed = await postJson(server, '/api/read', { device: 'chamber' });
    expect(failed.status).toBe(502);
    expect(json(failed).error).toEqual({ code: 'failed', message: 'i2c read failed: EIO' });
  });
});
