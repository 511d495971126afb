/**
 * A `WebNode` for the server's tests: real hubs and the real safety gate (real
 * actuator drivers on simulated lines, from the safety rig), with the rest of the
 * node's report held in plain fields a test changes.
 */
import { request as httpRequest } from 'node:http';
import { safetyRig } from '../../test/support/safety-rig.js';
import { webConfigSchema } from '../config/web-schema.js';
import { Hub, type Sample } from '../events/event-hub.js';
import type { InterlockView } from '../safety/interlocks.js';
import type {
  DeviceStatus,
  InferenceTiming,
  ReplyLike,
  SyncStatsLike,
  WebDeps,
  WebNode,
} from './web-deps.js';
import { startWebServer, type WebServer } from './web-server.js';

export const T0 = 1_764_300_000_000;

export async function fakeNode() {
  const rig = await safetyRig({
    heater: { min: 0, max: 1, maxStep: 0.5, safe: 0 },
    fan: { min: 0, max: 1, safe: 0 },
  });
  const samples = new Hub<Sample[]>((error) => {
    throw error;
  });
  const device = (id: string, type: string): DeviceStatus => ({
    id,
    type,
    ok: true,
    consecutiveFailures: 0,
    reads: 10,
    failures: 0,
    overruns: 0,
    periodMs: 1000,
  });
  const state = {
    devices: [device('chamber', 'bme280'), device('door', 'gpio-input')],
    interlocks: [{ id: 'door-open', condition: 'door/level = 1', tripped: false }] as InterlockView[],
    sync: {
      link: {
        state: 'online',
        url: 'mqtt://127.0.0.1:1883',
        clientId: 'benchloop-test-node',
        attempts: 1,
        connects: 1,
        reconnects: 0,
        lastConnectAt: T0,
      },
      session: 7,
      outbox: {
        telemetry: { messages: 3, bytes: 1200, items: 30, dropped: 0, openItems: 2 },
        events: { messages: 1, bytes: 300, items: 1, dropped: 0, openItems: 0 },
      },
      inFlight: 0,
      published: { telemetry: 40, events: 2 },
    } as SyncStatsLike | undefined,
    readNow: async (deviceId?: string): Promise<Sample[]> => [
      { d: deviceId ?? 'chamber', c: 'temperature', t: T0, v: 36.9 },
    ],
  };
  const node: WebNode = {
    status: () => ({
      node: { id: 'test-node', site: 'test' },
      version: '0.1.0',
      bootId: 'boot-1',
      uptimeMs: 5000,
      clock: { synced: true },
      devices: state.devices,
      actuators: rig.actuators.list(),
      interlocks: state.interlocks,
    }),
    describe: () => ({
      devices: [
        {
          id: 'chamber',
          channels: [
            { id: 'temperature', unit: 'Cel' },
            { id: 'humidity', unit: '%' },
          ],
        },
        { id: 'door', channels: [{ id: 'level', unit: '1' }] },
      ],
    }),
    events: rig.hub,
    samples,
    actuators: rig.actuators,
    readNow: (deviceId) => state.readNow(deviceId),
    get sync() {
      const stats = state.sync;
      return stats && { stats: () => stats };
    },
  };
  const replies = new Hub<ReplyLike>(() => undefined);
  const inferences = new Hub<InferenceTiming>(() => undefined);
  return { node, state, rig, samples, replies, inferences };
}

export type FakeNode = Awaited<ReturnType<typeof fakeNode>>;

/** A server on a free loopback port, fast ticks; `config` overrides the `web:` section. */
export async function serve(
  fake: FakeNode,
  config: Record<string, unknown> = {},
  extra: Partial<WebDeps> = {},
): Promise<WebServer> {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return startWebServer({
    config: webConfigSchema.parse({ port: 0, ...config }),
    node: fake.node,
    log: quiet,
    replies: fake.replies,
    inferences: fake.inferences,
    nowMs: () => T0,
    tickMs: 50,
    ...extra,
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request over node:http, so a test controls every header (Host, Origin, Cookie) and the raw target. */
export function request(
  server: Pick<WebServer, 'port'>,
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: options.method ?? 'GET',
        path: target,
        headers: { host: `127.0.0.1:${server.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

// biome-ignore lint/suspicious/noExplicitAny: responses are checked by the matchers, field by field.
export const json = (res: RawResponse) => JSON.parse(res.body) as Record<string, any>;

export function postJson(server: Pick<WebServer, 'port'>, target: string, body: unknown, headers = {}) {
  return request(server, target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Counts the hub's live subscriptions, to check that a server leaves none behind. */
export function countSubscriptions(hub: Hub<Sample[]>): { readonly live: number } {
  const counter = { live: 0 };
  const subscribe = hub.subscribe.bind(hub);
  hub.subscribe = (listener) => {
    counter.live++;
    const off = subscribe(listener);
    return () => {
      counter.live--;
      return off();
    };
  };
  return counter;
}
