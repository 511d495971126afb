/**
 * What the outside sees of a plan, from its `PlanState`: the `plan.status` result and
 * the final event (`plan.finished`, or `plan.aborted` with the reason and where it
 * stopped). One place, so the live plan, a plan read back from disk and a plan
 * recovered after a restart are reported alike.
 */
import type { PlanState } from './plan-files.js';

/** What `plan.status` answers and the node's status shows of a plan. */
export interface PlanStatusReport {
  planId: string;
  name?: string;
  state: string;
  progress: {
    stepsDone: number;
    stepsTotal: number;
    elapsedMs: number;
    estimatedMs: number;
    fraction: number;
  };
  [field: string]: unknown;
}

export function statusOf(state: PlanState, nowMs: number, liveSamples?: number): PlanStatusReport {
  const elapsedMs = (state.endedAt ?? nowMs) - state.startedAt;
  return {
    planId: state.planId,
    ...(state.name ? { name: state.name } : {}),
    state: state.state,
    sha256: state.sha256,
    command: state.commandId,
    startedAt: state.startedAt,
    ...(state.endedAt !== undefined ? { endedAt: state.endedAt } : {}),
    ...(state.reason ? { reason: state.reason } : {}),
    at: state.at,
    progress: {
      stepsDone: state.stepsDone,
      stepsTotal: state.stepsTotal,
      elapsedMs,
      estimatedMs: state.estimatedMs,
      fraction:
        state.state === 'finished'
          ? 1
          : Math.min(
              0.99,
              state.estimatedMs > 0 ? elapsedMs / state.estimatedMs : state.stepsDone / state.stepsTotal,
            ),
    },
    actuators: state.actuators,
    dataset: {
      samples: liveSamples ?? state.dataset.samples,
      ...(state.dataset.parts !== null ? { parts: state.dataset.parts } : {}),
    },
  };
}

/** The event that ends a plan: `plan.finished`, or `plan.aborted` (aborted or interrupted). */
export function finalEvent(state: PlanState): { type: string; fields: Record<string, unknown> } {
  const common = {
    planId: state.planId,
    ...(state.name ? { name: state.name } : {}),
    state: state.state,
    stepsDone: state.stepsDone,
    stepsTotal: state.stepsTotal,
    elapsedMs: (state.endedAt ?? state.startedAt) - state.startedAt,
    dataset: { samples: state.dataset.samples, parts: state.dataset.parts ?? 0 },
  };
  if (state.state === 'finished') return { type: 'plan.finished', fields: common };
  return { type: 'plan.aborted', fields: { ...common, reason: state.reason ?? 'aborted', at: state.at } };
}
