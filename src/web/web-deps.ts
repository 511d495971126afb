/**
 * What the web layer needs from the node: a port, so the server is tested against
 * fakes and `BenchloopNode` passes itself as `node` (it satisfies `WebNode`
 * structurally). The shapes are the fields the page uses, not the node's classes:
 * sections that later features add (`models`, `plan`, `sync.published`) are
 * optional here and show as "none" until the node provides them.
 */
import type { WebConfig } from '../config/web-schema.js';
import type { NodeEvent, Sample } from '../events/event-hub.js';
import type { ActuatorView, WriteResult, WriteSource } from '../safety/actuators.js';
import type { InterlockView } from '../safety/interlocks.js';

export interface Subscribable<T> {
  subscribe(listener: (item: T) => void): () => unknown;
}

export interface DeviceStatus {
  id: string;
  type: string;
  ok: boolean;
  consecutiveFailures: number;
  lastError?: string;
  /** Node clock (epoch ms) of the last good sample. */
  lastGoodMs?: number;
  reads: number;
  failures: number;
  overruns: number;
  /** The sampling period: liveness allows a device a few periods of silence. */
  periodMs?: number;
}

/** A model as `describe()` lists it (protocol ModelDescription: `name`, `version`, `active`) or a later status. */
export interface ModelStatus {
  id?: string;
  name?: string;
  version?: string;
  active?: boolean;
  shadow?: boolean;
  state?: string;
}

/** The running plan as `plan.status` reports it (src/plans/plan-report.ts `statusOf`). */
export interface PlanStatus {
  planId: string;
  name?: string;
  state?: string;
  progress?: {
    stepsDone?: number;
    stepsTotal?: number;
    fraction?: number;
    elapsedMs?: number;
    estimatedMs?: number;
  };
}

/** `BenchloopNode.status()`: the node's own view of itself. */
export interface NodeStatus {
  node: { id: string; site: string; description?: string };
  version: string;
  bootId: string;
  uptimeMs: number;
  clock: { synced: boolean; source?: string };
  devices: DeviceStatus[];
  actuators: ActuatorView[];
  interlocks: InterlockView[];
  /** When absent, `describe().models`; neither: "none configured". */
  models?: ModelStatus[];
  /** Absent or null while no plan runs: shown as "no plan running". */
  plan?: PlanStatus | null;
  /** The simulated bench (sim backend only). */
  bench?: object;
}

export interface LinkStatsLike {
  state: string;
  /** Credentials already removed by the link. */
  url: string;
  clientId: string;
  attempts: number;
  connects: number;
  reconnects: number;
  lastConnectAt?: number;
  lastDisconnectAt?: number;
  lastError?: string;
}

export interface OutboxStreamLike {
  messages: number;
  bytes: number;
  items: number;
  dropped: number;
  openItems?: number;
}

/** `NodeSync.stats()`. */
export interface SyncStatsLike {
  link?: LinkStatsLike | undefined;
  session: number;
  outbox: Record<string, OutboxStreamLike>;
  inFlight?: number;
  /** Messages the broker acknowledged since start, per stream: the publish rate's counter. */
  published?: Record<string, number>;
}

export interface ChannelDescription {
  id: string;
  unit: string;
}

/** The safety gate (`Actuators`): the only way the page moves an output. */
export interface ActuatorGate {
  set(id: string, value: number, source: WriteSource): Promise<WriteResult>;
  list(): ActuatorView[];
  envelope(
    id: string,
  ): { min: number; max: number; safe: number; maxStep?: number; maxRatePerS?: number } | undefined;
}

/** What `BenchloopNode` offers; each member is named as on the node. */
export interface WebNode {
  status(): NodeStatus;
  describe(): { devices: Array<{ id: string; channels: ChannelDescription[] }>; models?: ModelStatus[] };
  /** Emitting is for the audit of local control (`command.rejected`). */
  readonly events: Subscribable<NodeEvent> & { emit(type: string, fields: Record<string, unknown>): unknown };
  readonly samples: Subscribable<readonly Sample[]>;
  readonly actuators: ActuatorGate;
  readNow(device?: string): Promise<Sample[]>;
  readonly sync?: { stats(): SyncStatsLike } | undefined;
}

/** A command's reply as journaled (protocol §Commands), for "recent command replies". */
export interface ReplyLike {
  id: string | null;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  ts: number;
}

export interface InferenceTiming {
  model: string;
  latencyMs: number;
}

export interface WebLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
}

export interface WebDeps {
  config: WebConfig;
  node: WebNode;
  log: WebLog;
  /** Every command reply the node sends (remote commands); local control's replies are added by the server. */
  replies?: Subscribable<ReplyLike>;
  /** One per inference run, for the latency histogram; absent until the inference feature lands. */
  inferences?: Subscribable<InferenceTiming>;
  /** The node clock (epoch ms); default Date.now. */
  nowMs?: () => number;
  /** Throttle of the live feed; default 1000 ms (a phone on Wi-Fi redraws once a second). */
  tickMs?: number;
}
