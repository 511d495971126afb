/**
 * Plans end to end: a daemon on the simulated incubator (a fast chamber: 20 J/K, no
 * sensor noise, so a plan of a few seconds moves it by degrees and the physics can
 * be checked), a real Mosquitto, and the orchestrator's view of the plan — its
 * command replies and its `plan.*` events read from `R/events`, deduplicated by seq,
 * the dataset put back together from its `plan.dataset` parts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliPath, repoRoot } from './daemon.js';
import type { Mosquitto, MosquittoSub } from './mosquitto.js';
import { command, json, replyTo, root } from './sync-node.js';

const run = promisify(execFile);

/** The chamber the simulated bench models (src/bench/incubator-physics.ts), as configured below. */
export const CHAMBER = { ambientC: 21, heaterW: 40, heatCapacityJPerK: 20, lossWPerK: 1.6 };

export function planNodeConfig(
  url: string,
  options: { interlocks?: string; periodMs?: number } = {},
): string {
  return `
node: { id: it-node, site: test }
dataDir: DATA_DIR
# Tests start servers on free ports only: no status page on the default 8080.
web: { enabled: false }
hardware:
  backend: sim
  sim:
    incubator: { ambientC: ${CHAMBER.ambientC}, heaterW: ${CHAMBER.heaterW}, heatCapacityJPerK: ${CHAMBER.heatCapacityJPerK}, lossWPerK: ${CHAMBER.lossWPerK}, noiseC: 0 }
devices:
  - { id: chamber, type: bme280, address: 0x76, periodMs: ${options.periodMs ?? 100} }
actuators:
  - { id: heater, type: pwm, pin: 18, envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 } }
  - { id: fan, type: relay, pin: 23, envelope: { min: 0, max: 1, safe: 0 } }
${options.interlocks ? `interlocks:\n${options.interlocks}` : ''}
mqtt:
  url: ${url}
  keepaliveS: 5
  reconnect: { initialMs: 100, maxMs: 500 }
commands:
  remoteSet: [heater, fan]
`;
}

export interface PlanEvent {
  t: number;
  type: string;
  planId?: string;
  [field: string]: unknown;
}

export interface Row {
  t: number;
  d: string;
  c: string;
  v: number | null;
  unit: string;
  q: string;
  step: string;
  [field: string]: unknown;
}

/** The node's events as an orchestrator receives them (subscribed to `R/events`). */
export class NodeEvents {
  constructor(private readonly sub: MosquittoSub) {}

  /** Every event once (batches deduplicated by seq), in seq order. */
  all(): PlanEvent[] {
    const batches = new Map<number, PlanEvent[]>();
    for (const m of this.sub.on(`${root}/events`)) {
      const batch = json<{ seq: number; events: PlanEvent[] }>(m);
      batches.set(batch.seq, batch.events);
    }
    return [...batches.entries()].sort(([a], [b]) => a - b).flatMap(([, events]) => events);
  }

  of(type: string, planId?: string): PlanEvent[] {
    return this.all().filter((e) => e.type === type && (planId === undefined || e.planId === planId));
  }

  /** The first event (seen already or to come) that passes. */
  async waitFor(type: string, test: (e: PlanEvent) => boolean = () => true): Promise<PlanEvent> {
    const match = (events: PlanEvent[]) => events.find((e) => e.type === type && test(e));
    const message = await this.sub.waitFor(
      (m) => m.topic === `${root}/events` && match(json<{ events: PlanEvent[] }>(m).events) !== undefined,
      `event ${type}`,
    );
    return match(json<{ events: PlanEvent[] }>(message).events)!;
  }

  /**
   * The dataset as the parts delivered it: parts deduplicated by index (a part sent
   * twice is the same part), checked to follow each other with no hole.
   */
  dataset(planId: string): Row[] {
    const parts = new Map<number, { first: number; samples: Row[] }>();
    for (const e of this.of('plan.dataset', planId))
      parts.set(e.part as number, { first: e.first as number, samples: e.samples as Row[] });
    const rows: Row[] = [];
    for (const index of [...parts.keys()].sort((a, b) => a - b)) {
      const part = parts.get(index)!;
      if (index !== rows.length && part.first !== rows.length)
        throw new Error(`part ${index} starts at row ${part.first}, after ${rows.length} rows`);
      rows.push(...part.samples);
    }
    return rows;
  }
}

/** Sends a command and resolves with its reply. */
export async function call(
  broker: Mosquitto,
  sub: MosquittoSub,
  id: string,
  name: string,
  args?: object,
): Promise<Record<string, unknown>> {
  await command(broker, { id, name, ...(args ? { args } : {}) });
  return replyTo(sub, id);
}

export async function startPlan(
  broker: Mosquitto,
  sub: MosquittoSub,
  id: string,
  plan: object,
): Promise<string> {
  const reply = await call(broker, sub, id, 'plan.run', { plan });
  if (reply.ok !== true) throw new Error(`plan.run refused: ${JSON.stringify(reply.error)}`);
  return (reply.result as { planId: string }).planId;
}

/** `benchloop export`, as an operator runs it. */
export async function exportPlan(
  configFile: string,
  planId: string,
  format: 'csv' | 'jsonl',
): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [cliPath, 'export', planId, '--config', configFile, '--format', format],
    {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

/** A CSV export split into its provenance comments (`key → value`), header and rows. */
export function parseCsvExport(text: string): {
  provenance: Map<string, string>;
  header: string;
  rows: string[][];
} {
  const lines = text.trimEnd().split('\n');
  const comments = lines.filter((l) => l.startsWith('# '));
  const [header, ...rows] = lines.slice(comments.length);
  const provenance = new Map(
    comments.map((l) => {
      const at = l.indexOf(': ');
      return [l.slice(2, at), l.slice(at + 2)] as [string, string];
    }),
  );
  // The rows these tests see hold no quoted fields (no error texts with commas).
  return { provenance, header: header!, rows: rows.map((r) => r.split(',')) };
}

/**
 * The chamber temperature the bench's model gives at `tMs`, from ambient at rest,
 * for the heater's duty history (time → duty, as `actuator.changed` events say).
 */
export function modelTemperature(duty: ReadonlyArray<{ t: number; value: number }>, tMs: number): number {
  let temperature = CHAMBER.ambientC;
  let at = duty[0]?.t ?? tMs;
  let value = 0;
  const step = (until: number) => {
    const dtS = Math.max(0, until - at) / 1000;
    const equilibrium = CHAMBER.ambientC + (CHAMBER.heaterW * value) / CHAMBER.lossWPerK;
    temperature =
      equilibrium +
      (temperature - equilibrium) * Math.exp((-CHAMBER.lossWPerK * dtS) / CHAMBER.heatCapacityJPerK);
    at = Math.max(at, until);
  };
  for (const change of duty) {
    if (change.t > tMs) break;
    step(change.t);
    value = change.value;
  }
  step(tMs);
  return temperature;
}
