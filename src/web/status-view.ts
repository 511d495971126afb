/**
 * The status document the page, `/api/status` and the live feed share. Every field
 * is copied by name from the node's reports, never spread: a secret the node may
 * hold (a broker password, a TLS key, this server's token) can only reach a response
 * by someone adding it here on purpose. `models` and `plan` are always present
 * (`[]`, `null`) so the page's sections exist before those features do.
 */
import type { Sample } from '../events/event-hub.js';
import type { InterlockView } from '../safety/interlocks.js';
import type { Health } from './health.js';
import type {
  ModelStatus,
  NodeStatus,
  OutboxStreamLike,
  PlanStatus,
  SyncStatsLike,
  WebNode,
} from './web-deps.js';

export interface ChannelView {
  id: string;
  unit: string;
  latest: { t: number; v: number | null; q?: string; e?: string } | null;
}

export interface StatusView {
  /** Node clock (epoch ms) when the document was made: the page measures "ago" against it, not the phone's clock. */
  now: number;
  node: { id: string; site: string; description?: string };
  version: string;
  bootId: string;
  uptimeMs: number;
  clock: { synced: boolean };
  simulated: boolean;
  health: Health;
  link: {
    state: string;
    broker: string;
    clientId: string;
    session: number;
    lastConnectAt: number | null;
    lastDisconnectAt: number | null;
    reconnects: number;
    attempts: number;
    lastError: string | null;
  } | null;
  outbox: {
    backlogMessages: number;
    backlogBytes: number;
    backlogItems: number;
    dropped: number;
    inFlight: number;
    published: Record<string, number> | null;
    streams: Record<string, { messages: number; bytes: number; items: number; dropped: number }>;
  } | null;
  devices: Array<{
    id: string;
    type: string;
    ok: boolean;
    reads: number;
    failures: number;
    consecutiveFailures: number;
    lastError: string | null;
    lastGoodMs: number | null;
    overruns: number;
    channels: ChannelView[];
  }>;
  actuators: Array<{
    id: string;
    type: string;
    value: number;
    envelope: { min: number; max: number; safe: number; maxStep: number | null; maxRatePerS: number | null };
    heldBy: string[];
  }>;
  interlocks: Array<{ id: string; condition: string; tripped: boolean; reason: string | null }>;
  models: Array<{ id: string; version: string | null; state: string | null }>;
  plan: {
    id: string;
    name: string | null;
    state: string | null;
    stepsDone: number | null;
    stepsTotal: number | null;
    /** In [0, 1]. */
    progress: number | null;
    elapsedMs: number | null;
    estimatedMs: number | null;
  } | null;
  control: { local: boolean };
}

export interface ViewInput {
  node: WebNode;
  status: NodeStatus;
  sync: SyncStatsLike | undefined;
  health: Health;
  latest(key: string): Sample | undefined;
  nowMs: number;
  localControl: boolean;
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

function linkView(sync: SyncStatsLike): StatusView['link'] {
  const link = sync.link;
  if (!link) return null;
  return {
    state: link.state,
    broker: link.url,
    clientId: link.clientId,
    session: sync.session,
    lastConnectAt: orNull(link.lastConnectAt),
    lastDisconnectAt: orNull(link.lastDisconnectAt),
    reconnects: link.reconnects,
    attempts: link.attempts,
    lastError: orNull(link.lastError),
  };
}

function outboxView(sync: SyncStatsLike): StatusView['outbox'] {
  const streams = Object.entries(sync.outbox);
  const sum = (pick: (s: OutboxStreamLike) => number) => streams.reduce((n, [, s]) => n + pick(s), 0);
  return {
    backlogMessages: sum((s) => s.messages),
    backlogBytes: sum((s) => s.bytes),
    backlogItems: sum((s) => s.items + (s.openItems ?? 0)),
    dropped: sum((s) => s.dropped),
    inFlight: sync.inFlight ?? 0,
    published: sync.published ? { ...sync.published } : null,
    streams: Object.fromEntries(
      streams.map(([name, s]) => [
        name,
        { messages: s.messages, bytes: s.bytes, items: s.items, dropped: s.dropped },
      ]),
    ),
  };
}

const modelView = (m: ModelStatus) => ({
  id: m.id ?? m.name ?? '?',
  version: text(m.version),
  state:
    text(m.state) ??
    (m.shadow ? 'shadow' : m.active === true ? 'active' : m.active === false ? 'installed' : null),
});
const planView = (p: PlanStatus) => ({
  id: p.planId,
  name: text(p.name),
  state: text(p.state),
  stepsDone: num(p.progress?.stepsDone),
  stepsTotal: num(p.progress?.stepsTotal),
  progress: num(p.progress?.fraction),
  elapsedMs: num(p.progress?.elapsedMs),
  estimatedMs: num(p.progress?.estimatedMs),
});
const interlockView = (i: InterlockView) => ({
  id: i.id,
  condition: i.condition,
  tripped: i.tripped,
  reason: orNull(i.reason),
});

export function statusView(input: ViewInput): StatusView {
  const { node, status, sync, health } = input;
  const described = node.describe();
  const channels = new Map(described.devices.map((d) => [d.id, d.channels]));
  return {
    now: input.nowMs,
    node: {
      id: status.node.id,
      site: status.node.site,
      ...(status.node.description ? { description: status.node.description } : {}),
    },
    version: status.version,
    bootId: status.bootId,
    uptimeMs: status.uptimeMs,
    clock: { synced: status.clock.synced },
    simulated: status.bench !== undefined,
    health,
    link: sync ? linkView(sync) : null,
    outbox: sync ? outboxView(sync) : null,
    devices: status.devices.map((d) => ({
      id: d.id,
      type: d.type,
      ok: d.ok,
      reads: d.reads,
      failures: d.failures,
      consecutiveFailures: d.consecutiveFailures,
      lastError: orNull(d.lastError),
      lastGoodMs: orNull(d.lastGoodMs),
      overruns: d.overruns,
      channels: (channels.get(d.id) ?? []).map((c) => {
        const s = input.latest(`${d.id}/${c.id}`);
        const latest = s ? { t: s.t, v: s.v, ...(s.q ? { q: s.q } : {}), ...(s.e ? { e: s.e } : {}) } : null;
        return { id: c.id, unit: c.unit, latest };
      }),
    })),
    actuators: status.actuators.map((a) => {
      const envelope = node.actuators.envelope(a.id);
      return {
        id: a.id,
        type: a.type,
        value: a.value,
        envelope: {
          min: a.min,
          max: a.max,
          safe: a.safe,
          maxStep: orNull(envelope?.maxStep),
          maxRatePerS: orNull(envelope?.maxRatePerS),
        },
        heldBy: a.heldBy ?? [],
      };
    }),
    interlocks: status.interlocks.map(interlockView),
    models: (status.models ?? described.models ?? []).map(modelView),
    plan: status.plan ? planView(status.plan) : null,
    control: { local: input.localControl },
  };
}
