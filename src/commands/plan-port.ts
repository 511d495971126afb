/**
 * What the `plan.*` commands see of the node's plans (src/plans implements it; the
 * composition root passes it in `CommandContext.plans`). Issues of a refused plan
 * carry paths inside the plan (`steps[3].ramp.to`); the commands put them under
 * `args.plan`, where the sender finds them.
 */
import type { ErrorCode, FieldIssue } from '../protocol/messages.js';
import { type CommandContext, type Failure, failure, type Outcome } from './context.js';

export type PlanPortOutcome =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; code: ErrorCode; message: string; issues?: FieldIssue[] };

export interface PlanPort {
  /** Validates the plan against this node, claims its actuators and starts it; resolves once it runs. */
  run(plan: unknown, commandId: string): Promise<PlanPortOutcome>;
  /** Ends the running plan (its actuators go safe); for a plan already over, says how it ended. */
  abort(planId: string, commandId: string): Promise<PlanPortOutcome>;
  /** The plan's state and progress; without an id the running plan, else the latest. */
  status(planId?: string): Promise<PlanPortOutcome>;
}

/** Runs `work` on the node's plans, turning the port's refusals into the command's, issues under `prefix`. */
export async function withPlans(
  context: CommandContext,
  field: string,
  work: (plans: PlanPort) => Promise<PlanPortOutcome>,
): Promise<Outcome> {
  if (!context.plans) return failure('failed', undefined, 'this node runs no plans');
  const outcome = await work(context.plans);
  if (outcome.ok) return outcome;
  if (!outcome.issues) return failure(outcome.code, field, outcome.message);
  const issues = outcome.issues.map((i) => ({
    path: i.path ? `${field}.${i.path}` : field,
    message: i.message,
  }));
  const refused: Failure = {
    ok: false,
    code: outcome.code,
    message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    issues,
  };
  return refused;
}
