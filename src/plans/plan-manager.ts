/**
 * The node's plans: `plan.run`, `plan.abort`, `plan.status` (the command layer's
 * `PlanPort`), one plan at a time, and what happens to a plan the process did not
 * see to its end. At start (`recover`), a plan found `running` on disk was cut short
 * by a crash, a kill or a power loss: the node does not resume it — its outputs were
 * opened at their safe values before anything else — but marks it `interrupted`
 * where it stopped, completes the publishing of its dataset and reports it with
 * `plan.aborted`, reason `interrupted by restart`.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { NodeConfig } from '../config/schema.js';
import type { DeviceDefinition } from '../device-kit/index.js';
import type { EventHub, Hub, Sample } from '../events/event-hub.js';
import type { ClockStatus, DeviceDescription, ErrorCode, ModelDescription } from '../protocol/messages.js';
import type { Actuators } from '../safety/actuators.js';
import { realTimers, type Timers } from '../scheduler/periodic-scheduler.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { DEFAULT_PART_LIMITS, type PartLimits, publishParts } from './dataset-publisher.js';
import { partsOf } from './dataset-rows.js';
import { PlanExecution, type PlanLog } from './plan-execution.js';
import {
  DatasetWriter,
  listPlanIds,
  PLAN_ID_PATTERN,
  PlanFiles,
  type PlanState,
  readRows,
  scanDataset,
  truncateDataset,
} from './plan-files.js';
import { planInventory } from './plan-inventory.js';
import { finalEvent, type PlanStatusReport, statusOf } from './plan-report.js';
import type { Plan } from './plan-schema.js';
import { describePosition } from './plan-timeline.js';
import { type PlanSummary, validatePlan } from './plan-validate.js';
import { provenanceAtEnd, provenanceAtStart } from './provenance.js';

export type PlanReply =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; code: ErrorCode; message: string; issues?: Array<{ path: string; message: string }> };

export interface PlanManagerDeps {
  /** `dataDir/plans` */
  dir: string;
  config: Pick<NodeConfig, 'node' | 'devices' | 'actuators' | 'interlocks' | 'controllers' | 'commands'>;
  definitions: readonly DeviceDefinition[];
  gate: Actuators;
  events: EventHub;
  samples: Hub<Sample[]>;
  /** The node clock: epoch ms, and whether it is synchronised. */
  clock: { nowMs(): number; readonly status: ClockStatus };
  timers?: Timers;
  bootId: string;
  version: string;
  configHash: string;
  /** The node's devices as published, and its active models. */
  describe(): { devices: DeviceDescription[]; models: ModelDescription[] };
  /** Resolves once every event emitted so far is durably in the outbox (at once without one). */
  durable(): Promise<void>;
  log: PlanLog;
  partLimits?: PartLimits;
}

export class PlanManager {
  private current: PlanExecution | undefined;
  private last: string | undefined;
  private closed = false;

  constructor(private readonly deps: PlanManagerDeps) {}

  /** Whether a plan runs now (`config.apply` is then `busy`). */
  running(): boolean {
    return this.current !== undefined;
  }

  /** The running plan's state and progress (as `plan.status` reports it), for the node's status. */
  runningStatus(): PlanStatusReport | null {
    return this.current?.status() ?? null;
  }

  /** Resolves once the running plan (if any) has ended and its ending is recorded. */
  async settled(): Promise<void> {
    await this.current?.done;
  }

  async run(raw: unknown, commandId: string): Promise<PlanReply> {
    const { deps } = this;
    if (this.closed) return refuse('busy', 'the node is stopping');
    if (this.current)
      return refuse(
        'busy',
        `plan ${this.current.planId} is running; one plan runs at a time (plan.abort ends it)`,
      );
    const described = deps.describe();
    const inventory = planInventory({
      config: deps.config,
      definitions: deps.definitions,
      devices: described.devices,
      values: new Map(deps.gate.list().map((a) => [a.id, a.value])),
    });
    const checked = validatePlan(raw, inventory);
    if (!checked.ok)
      return { ok: false, code: checked.code, message: issuesText(checked.issues), issues: checked.issues };
    const { plan, summary } = checked;

    const planId = newPlanId(deps.clock.nowMs());
    const claim = deps.gate.claim(summary.actuators, { kind: 'plan', id: planId });
    if (!claim.ok) return refuse(claim.code, claim.message);
    try {
      const execution = await this.prepare(planId, raw, plan, summary, commandId, described);
      this.current = execution;
      this.last = planId;
      const state = execution.status();
      deps.events.emit('plan.started', {
        planId,
        ...(plan.name ? { name: plan.name } : {}),
        sha256: state.sha256,
        command: commandId,
        steps: summary.steps,
        estimatedMs: summary.estimatedMs,
        actuators: summary.actuators,
        channels: summary.channels,
      });
      execution.start();
      void execution.done.then(() => {
        if (this.current === execution) this.current = undefined;
      });
      // The node began stopping while the plan was being prepared: it ends at once, recorded like any abort.
      if (this.closed) await execution.abort('node stopping');
      return {
        ok: true,
        result: { planId, sha256: state.sha256, steps: summary.steps, estimatedMs: summary.estimatedMs },
      };
    } catch (error) {
      deps.gate.releaseClaim({ kind: 'plan', id: planId });
      throw error;
    }
  }

  async abort(planId: string, commandId: string): Promise<PlanReply> {
    if (this.current?.planId === planId) {
      const final = await this.current.abort(`aborted by command ${commandId}`);
      return { ok: true, result: { planId, state: final.state } };
    }
    const state = await this.read(planId);
    if (!state) return this.notFound(planId);
    // Already over: nothing to stop; the answer says how it ended.
    return { ok: true, result: { planId, state: state.state } };
  }

  async status(planId?: string): Promise<PlanReply> {
    const id = planId ?? this.current?.planId ?? this.last ?? (await listPlanIds(this.deps.dir)).at(-1);
    if (id === undefined) return { ok: true, result: { planId: null, state: 'idle' } };
    if (this.current?.planId === id) return { ok: true, result: this.current.status() };
    const state = await this.read(id);
    if (!state) return this.notFound(id);
    return { ok: true, result: statusOf(state, this.deps.clock.nowMs()) };
  }

  /** At start, before commands are taken: plans a previous process left unfinished or unreported. */
  async recover(): Promise<void> {
    for (const planId of await listPlanIds(this.deps.dir)) {
      try {
        await this.recoverOne(planId);
      } catch (error) {
        this.deps.log.error({ err: error, planId }, 'plan left by the previous run could not be recovered');
      }
    }
  }

  /** The node is stopping: the running plan is aborted (its outputs go safe) and no plan starts any more. */
  async stop(reason: string): Promise<void> {
    this.closed = true;
    await this.current?.abort(`node stopping (${reason})`);
  }

  private async prepare(
    planId: string,
    raw: unknown,
    plan: Plan,
    summary: PlanSummary,
    commandId: string,
    described: ReturnType<PlanManagerDeps['describe']>,
  ): Promise<PlanExecution> {
    const { deps } = this;
    const files = new PlanFiles(deps.dir, planId);
    await files.create();
    const startedAt = deps.clock.nowMs();
    const sha256 = sha256Hex(canonicalJson(raw));
    const state: PlanState = {
      format: 1,
      planId,
      ...(plan.name ? { name: plan.name } : {}),
      sha256,
      commandId,
      bootId: deps.bootId,
      state: 'running',
      startedAt,
      at: null,
      stepsDone: 0,
      stepsTotal: summary.steps,
      estimatedMs: summary.estimatedMs,
      actuators: summary.actuators,
      dataset: { samples: 0, parts: null, published: 0 },
      reported: false,
    };
    const provenance = provenanceAtStart({
      planId,
      plan: raw,
      sha256,
      commandId,
      node: deps.config.node,
      bootId: deps.bootId,
      version: deps.version,
      configHash: deps.configHash,
      devices: deps.config.devices,
      channels: described.devices,
      actuators: deps.config.actuators,
      interlocks: deps.config.interlocks,
      controllers: deps.config.controllers,
      models: described.models,
      measured: summary.channels,
      clock: deps.clock.status,
      startedAt,
    });
    await files.provenance.write(provenance);
    await files.state.write(state);
    const writer = await DatasetWriter.open(files.datasetFile);
    return new PlanExecution(
      {
        gate: deps.gate,
        events: deps.events,
        samples: deps.samples,
        timers: deps.timers ?? realTimers,
        nowMs: () => deps.clock.nowMs(),
        clock: () => deps.clock.status,
        durable: deps.durable,
        partLimits: deps.partLimits ?? DEFAULT_PART_LIMITS,
        log: deps.log,
      },
      {
        plan,
        files,
        writer,
        state,
        provenance,
        units: new Map(described.devices.flatMap((d) => d.channels.map((c) => [`${d.id}/${c.id}`, c.unit]))),
        devicePeriods: new Map(deps.config.devices.map((d) => [d.id, d.periodMs])),
      },
    );
  }

  private async recoverOne(planId: string): Promise<void> {
    const { deps } = this;
    const files = new PlanFiles(deps.dir, planId);
    let state = await files.state.read();
    if (!state || state.reported) return;
    const scan = await scanDataset(files.datasetFile);
    if (scan.torn) await truncateDataset(files.datasetFile, scan.validBytes);
    const parts = partsOf(scan.rowBytes, ...partLimits(deps.partLimits));
    const samples = scan.rowBytes.length;
    if (state.state === 'running') {
      const lastSign = await lastWriteMs([files.state.file, files.datasetFile]);
      state = {
        ...state,
        state: 'interrupted',
        endedAt: Math.max(state.startedAt, lastSign ?? state.startedAt),
        reason: `interrupted by restart: the node stopped (crash, kill or power loss) during ${state.at ? describePosition(state.at) : 'its start'}; its outputs were set safe at the next start, and the plan was not resumed`,
      };
      const provenance = await files.provenance.read().catch(() => null);
      if (provenance)
        await files.provenance.write(
          provenanceAtEnd(provenance, {
            state: 'interrupted',
            endedAt: state.endedAt!,
            reason: state.reason!,
            // Unknown: the process ended without recording it.
            clock: null,
            clockSteps: [],
            samples,
            parts: parts.length,
          }),
        );
    }
    state = { ...state, dataset: { ...state.dataset, samples, parts: parts.length } };
    await files.state.write(state);
    let published = state.dataset.published;
    // Only the rows of parts not yet published are read into memory.
    const from = parts[published]?.first ?? samples;
    await publishParts(planId, await readRows(files.datasetFile, from), from, parts, published, {
      emit: (type, fields) => deps.events.emit(type, fields),
      durable: deps.durable,
      synced: async () => undefined,
      published: (n) => {
        published = n;
      },
    });
    const final = finalEvent(state);
    deps.events.emit(final.type, final.fields);
    await deps.durable();
    await files.state.write({ ...state, dataset: { ...state.dataset, published }, reported: true });
    this.last = planId;
    deps.log.info({ planId, state: state.state, samples, parts: parts.length }, 'plan reported');
  }

  private async read(planId: string): Promise<PlanState | null> {
    if (!PLAN_ID_PATTERN.test(planId)) return null;
    return new PlanFiles(this.deps.dir, planId).state.read();
  }

  private notFound(planId: string): PlanReply {
    return refuse('not_found', `no plan "${planId}" on this node`);
  }
}

function refuse(code: ErrorCode, message: string): PlanReply {
  return { ok: false, code, message };
}

function issuesText(issues: ReadonlyArray<{ path: string; message: string }>): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

function partLimits(limits: PartLimits | undefined): [number, number] {
  const { maxRows, maxBytes } = limits ?? DEFAULT_PART_LIMITS;
  return [maxRows, maxBytes];
}

/** `p-20251128-031955-ab12cd`: sortable by start time (UTC), unique by its random tail, safe in paths and topics. */
export function newPlanId(nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `p-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The latest modification time of the files (the last sign of life of a plan cut short). */
async function lastWriteMs(files: readonly string[]): Promise<number | undefined> {
  const times = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.mtimeMs,
        () => undefined,
      ),
    ),
  );
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.round(Math.max(...known)) : undefined;
}
