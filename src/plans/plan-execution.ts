/**
 * One running plan: it owns its actuators (a claim on the safety gate), runs its
 * steps (plan-runner.ts), records its measurements (dataset-recorder.ts) into
 * `dataset.jsonl` and publishes them in parts, keeps `state.json` at the current
 * step, and ends exactly once — finished, or aborted by a command, an interlock trip
 * on one of its actuators, the watchdog, a refused write, a timed-out wait or the
 * node stopping.
 *
 * Ending, in order: the steps stop; the plan's actuators go to their safe values
 * (on abort, and on finish unless the plan says `onFinish: keep`) — except those an
 * interlock holds — and the claim is released; then the bookkeeping: the final state
 * on disk, the provenance's end, the last dataset parts, the final event, and once
 * the outbox has all of it, `reported` on disk. Safety first, paperwork after: a
 * failure in the paperwork never delays the safe values.
 */
import type { EventHub, Hub, NodeEvent, Sample } from '../events/event-hub.js';
import type { ClockStatus } from '../protocol/messages.js';
import type { Actuators, ClaimOwner } from '../safety/actuators.js';
import type { Timers } from '../scheduler/periodic-scheduler.js';
import { DatasetPublisher, type PartLimits } from './dataset-publisher.js';
import { DatasetRecorder } from './dataset-recorder.js';
import type { DatasetWriter, PlanFiles, PlanState } from './plan-files.js';
import { finalEvent, type PlanStatusReport, statusOf } from './plan-report.js';
import { RunStopped, runPlan, StepFailed } from './plan-runner.js';
import type { Plan } from './plan-schema.js';
import { describePosition, type Position } from './plan-timeline.js';
import { provenanceAtEnd } from './provenance.js';

export interface PlanLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
}

export interface ExecutionDeps {
  gate: Actuators;
  events: EventHub;
  samples: Hub<Sample[]>;
  /** Monotonic: the plan's timing. */
  timers: Timers;
  /** The node clock (epoch ms): sample times, event and state times. */
  nowMs(): number;
  clock(): ClockStatus;
  /** Resolves once everything emitted so far is durably in the outbox. */
  durable(): Promise<void>;
  partLimits: PartLimits;
  log: PlanLog;
}

export interface ExecutionSetup {
  plan: Plan;
  files: PlanFiles;
  writer: DatasetWriter;
  /** As written to disk at the start. */
  state: PlanState;
  provenance: Record<string, unknown>;
  /** `device/channel` → unit. */
  units: ReadonlyMap<string, string>;
  /** device → sampling period. */
  devicePeriods: ReadonlyMap<string, number>;
}

export class PlanExecution {
  readonly planId: string;
  /** Resolves with the final state once the plan has ended (its safe values written, its ending recorded). */
  readonly done: Promise<PlanState>;
  private resolveDone: (state: PlanState) => void = () => {};
  private state: PlanState;
  private readonly controller = new AbortController();
  private readonly owner: ClaimOwner;
  private readonly recorder: DatasetRecorder;
  private readonly publisher: DatasetPublisher;
  private readonly watchers = new Map<string, Set<(sample: Sample) => void>>();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly clockSteps: Array<{ t: number; steppedMs: number }> = [];
  private running: Promise<void> = Promise.resolve();
  private ending: Promise<PlanState> | undefined;
  private saving: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly deps: ExecutionDeps,
    private readonly setup: ExecutionSetup,
  ) {
    this.planId = setup.state.planId;
    this.state = setup.state;
    this.owner = { kind: 'plan', id: this.planId };
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.publisher = new DatasetPublisher(
      this.planId,
      deps.partLimits,
      {
        emit: (type, fields) => deps.events.emit(type, fields),
        durable: deps.durable,
        synced: () => setup.writer.sync(),
        published: (published) => {
          this.state = { ...this.state, dataset: { ...this.state.dataset, published } };
          return this.persist();
        },
      },
      (error) => deps.log.error({ err: error, planId: this.planId }, 'a dataset part could not be published'),
    );
    this.recorder = new DatasetRecorder({
      nowMs: deps.nowMs,
      unit: (ref) => setup.units.get(ref) ?? '1',
      devicePeriodMs: (device) => setup.devicePeriods.get(device) ?? 1000,
      append: (row) => {
        const line = JSON.stringify(row);
        setup.writer.append(line);
        this.publisher.add(row, line);
      },
    });
  }

  /** Starts the steps; the plan's actuators are already claimed. */
  start(): void {
    const { deps } = this;
    this.unsubscribe.push(
      deps.samples.subscribe((batch) => {
        this.recorder.onSamples(batch);
        for (const sample of batch)
          for (const watch of this.watchers.get(`${sample.d}/${sample.c}`) ?? []) watch(sample);
      }),
      deps.events.subscribe((event) => this.onEvent(event)),
    );
    // An interlock that tripped while the plan was being prepared (after the claim) was not heard: look now.
    const held = this.state.actuators.map((id) => deps.gate.get(id)).find((a) => a?.heldBy);
    if (held) {
      void this.end('aborted', `interlock ${held.heldBy!.join(', ')} holds ${held.id} at ${held.value}`);
      return;
    }
    this.running = runPlan(this.setup.plan, this.ports(), this.controller.signal);
    this.running.then(
      () => this.end('finished'),
      (error: unknown) => {
        if (error instanceof RunStopped) return;
        const reason =
          error instanceof StepFailed
            ? `${describePosition(error.at)}: ${error.message}`
            : `internal error: ${String(error)}`;
        if (!(error instanceof StepFailed))
          deps.log.error({ err: error, planId: this.planId }, 'plan runner failed');
        void this.end('aborted', reason);
      },
    );
  }

  /** Ends the plan, aborted (if it has not ended already); resolves with its final state. */
  abort(reason: string): Promise<PlanState> {
    return this.end('aborted', reason);
  }

  status(): PlanStatusReport {
    return statusOf(this.state, this.deps.nowMs(), this.publisher.samples);
  }

  private ports() {
    const { deps } = this;
    return {
      timers: deps.timers,
      write: (actuator: string, value: number) => deps.gate.set(actuator, value, this.owner),
      maxRatePerS: (actuator: string) => deps.gate.envelope(actuator)?.maxRatePerS,
      measure: this.recorder.measure.bind(this.recorder),
      watch: (channel: string, listener: (sample: Sample) => void) => {
        const set = this.watchers.get(channel) ?? new Set();
        this.watchers.set(channel, set.add(listener));
        return () => set.delete(listener);
      },
      stepStarted: (at: Position, index: number) => {
        this.state = {
          ...this.state,
          at,
          stepsDone: index,
          dataset: { ...this.state.dataset, samples: this.publisher.samples },
        };
        this.persistInBackground();
      },
      stepDone: (at: Position, index: number, kind: string, result: Record<string, unknown>) => {
        this.state = { ...this.state, stepsDone: index + 1 };
        deps.events.emit('plan.step', {
          planId: this.planId,
          at,
          index,
          total: this.state.stepsTotal,
          kind,
          result,
        });
        this.persistInBackground();
      },
    };
  }

  private onEvent(event: NodeEvent): void {
    if (event.type === 'interlock.tripped' && this.state.actuators.includes(event.actuator as string))
      void this.end(
        'aborted',
        `interlock ${event.interlock} tripped (${event.reason}): ${event.actuator} forced to ${event.value}`,
      );
    else if (event.type === 'watchdog.tripped')
      void this.end(
        'aborted',
        `the watchdog forced every output safe: the main loop stalled ${event.stalledMs} ms`,
      );
    else if (event.type === 'clock.stepped')
      this.clockSteps.push({ t: event.t, steppedMs: event.steppedMs as number });
  }

  private end(kind: 'finished' | 'aborted', reason?: string): Promise<PlanState> {
    this.ending ??= this.finish(kind, reason);
    return this.ending;
  }

  private async finish(kind: 'finished' | 'aborted', reason: string | undefined): Promise<PlanState> {
    const { deps, setup } = this;
    this.controller.abort();
    await this.running.catch(() => undefined);
    this.recorder.stopAll();
    for (const stop of this.unsubscribe.splice(0)) stop();
    try {
      if (kind === 'aborted' || setup.plan.onFinish !== 'keep')
        await deps.gate.sendSafe(this.state.actuators, { kind: 'safety', id: `plan ${this.planId} ${kind}` });
    } finally {
      deps.gate.releaseClaim(this.owner);
    }
    try {
      const samples = this.publisher.samples;
      const parts = this.publisher.finish();
      this.state = {
        ...this.state,
        state: kind,
        endedAt: deps.nowMs(),
        ...(reason ? { reason } : {}),
        dataset: { ...this.state.dataset, samples, parts: parts.parts },
      };
      // The end is on disk before the last parts go out: a crash from here on is completed at the next start.
      await this.persist();
      await setup.files.provenance.write(
        provenanceAtEnd(setup.provenance, {
          state: kind,
          endedAt: this.state.endedAt!,
          ...(reason ? { reason } : {}),
          clock: deps.clock(),
          clockSteps: this.clockSteps,
          samples,
          parts: this.state.dataset.parts!,
        }),
      );
      await parts.done;
      const final = finalEvent(this.state);
      deps.events.emit(final.type, final.fields);
      await deps.durable();
      if (this.state.dataset.published === this.state.dataset.parts) {
        this.state = { ...this.state, reported: true };
        await this.persist();
      }
    } catch (error) {
      deps.log.error(
        { err: error, planId: this.planId },
        'plan ending not fully recorded; a restart completes it',
      );
    } finally {
      await setup.writer.close();
      this.resolveDone(this.state);
    }
    return this.state;
  }

  private persistInBackground(): void {
    this.persist().catch((error) =>
      this.deps.log.error({ err: error, planId: this.planId }, 'plan state could not be written'),
    );
  }

  /** Resolves after a write of the state as it is now; writes in between are coalesced. */
  private persist(): Promise<void> {
    this.dirty = true;
    this.saving ??= (async () => {
      try {
        while (this.dirty) {
          this.dirty = false;
          await this.setup.files.state.write(this.state);
        }
      } finally {
        this.saving = undefined;
      }
    })();
    return this.saving;
  }
}
