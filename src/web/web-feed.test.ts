import { afterEach, describe, expect, it } from 'vitest';
import { type FakeNode, fakeNode, postJson, serve, T0 } from './fake-node.test-support.js';
import { MAX_CLIENTS } from './live-feed.js';
import type { WebServer } from './web-server.js';

const servers: WebServer[] = [];
const streams: Array<AbortController> = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Frame {
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: frames are checked by the matchers, field by field.
  data: Record<string, any>;
}

/** An SSE client: frames as they come, and a wait for the first one that passes a test. */
async function stream(server: WebServer) {
  const abort = new AbortController();
  streams.push(abort);
  const res = await fetch(`${server.url}api/stream`, { signal: abort.signal });
  const frames: Frame[] = [];
  const waiters = new Set<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }>();
  void (async () => {
    let buffer = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) {
            const frame = { event, data: JSON.parse(data) };
            frames.push(frame);
            for (const w of waiters) {
              if (!w.test(frame)) continue;
              waiters.delete(w);
              w.resolve(frame);
            }
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by the test.
    }
  })();
  const next = (test: (f: Frame) => boolean) => {
    const seen = frames.find(test);
    return seen ? Promise.resolve(seen) : new Promise<Frame>((resolve) => waiters.add({ test, resolve }));
  };
  return { res, frames, next };
}

async function setup(): Promise<{ fake: FakeNode; server: WebServer }> {
  const fake = await fakeNode();
  const server = await serve(fake, { localControl: true });
  servers.push(server);
  return { fake, server };
}

describe('live feed (Server-Sent Events)', () => {
  it('starts with a snapshot: status, the plotted history, recent events and replies', async () => {
    const { fake, server } = await setup();
    fake.samples.publish([{ d: 'chamber', c: 'temperature', t: T0 - 4000, v: 36.5 }]);
    fake.samples.publish([{ d: 'chamber', c: 'temperature', t: T0, v: 36.9 }]);
    fake.rig.hub.emit('device.recovered', { device: 'chamber' });
    fake.replies.publish({ id: 'c-1', ok: true, result: { pong: true }, ts: T0 });
    const s = await stream(server);
    expect(s.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const snapshot = await s.next((f) => f.event === 'snapshot');
    expect(snapshot.data.status.node.id).toBe('test-node');
    expect(snapshot.data.history['chamber/temperature']).toEqual([
      [T0 - 4000, 36.5],
      [T0, 36.9],
    ]);
    expect(snapshot.data.historyWindowMs).toBe(600_000);
    expect(snapshot.data.events.map((e: { type: string }) => e.type)).toEqual(['device.recovered']);
    expect(snapshot.data.replies).toEqual([
      { id: 'c-1', ok: true, result: { pong: true }, ts: T0, origin: 'remote' },
    ]);
  });

  it('pushes one update per tick with only the latest sample of each channel (throttled for a phone)', async () => {
    const { fake, server } = await setup();
    const s = await stream(server);
    await s.next((f) => f.event === 'snapshot');
    for (let i = 0; i < 20; i++)
      fake.samples.publish([{ d: 'chamber', c: 'temperature', t: T0 + i, v: 30 + i }]);
    fake.samples.publish([{ d: 'door', c: 'level', t: T0, v: 1 }]);
    const update = await s.next((f) => f.event === 'update' && f.data.samples.length > 0);
    expect(update.data.samples).toEqual([
      { d: 'chamber', c: 'temperature', t: T0 + 19, v: 49 },
      { d: 'door', c: 'level', t: T0, v: 1 },
    ]);
    expect(update.data.status.devices[0].channels[0].latest.v).toBe(49);
  });

  it('pushes events and command replies (remote, and this page own) as they happen', async () => {
    const { fake, server } = await setup();
    const s = await stream(server);
    await s.next((f) => f.event === 'snapshot');
    fake.rig.hub.emit('interlock.tripped', { interlock: 'door-open', actuator: 'heater', value: 0 });
    const withEvent = await s.next((f) => f.event === 'update' && f.data.events.length > 0);
    expect(withEvent.data.events[0]).toMatchObject({ type: 'interlock.tripped', interlock: 'door-open' });
    fake.replies.publish({ id: 'c-9', ok: false, error: { code: 'forbidden', message: 'no' }, ts: T0 });
    await postJson(server, '/api/actuators/heater', { value: 0.3 });
    const replies = async () => s.frames.flatMap((f) => (f.event === 'update' ? f.data.replies : []));
    await expect.poll(async () => (await replies()).length).toBe(2);
    expect(
      (await replies()).map((r: { id: string; origin: string }) => [r.id.slice(0, 4), r.origin]),
    ).toEqual([
      ['c-9', 'remote'],
      ['web-', 'local'],
    ]);
  });

  it('caps a burst of events per tick and says how many it left out', async () => {
    const { fake, server } = await setup();
    const s = await stream(server);
    await s.next((f) => f.event === 'snapshot');
    for (let i = 0; i < 120; i++) fake.rig.hub.emit('device.error', { device: 'chamber', n: i });
    const update = await s.next((f) => f.event === 'update' && f.data.events.length > 0);
    expect(update.data.events).toHaveLength(50);
    expect(update.data.skippedEvents).toBe(70);
  });

  it(`takes at most ${MAX_CLIENTS} pages at once: 503 for the next`, async () => {
    const { server } = await setup();
    const open = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => stream(server)));
    expect(open.every((s) => s.res.status === 200)).toBe(true);
    const refused = await fetch(`${server.url}api/stream`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('busy');
  });
});
