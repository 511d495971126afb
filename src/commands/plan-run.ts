/**
 * `plan.run {plan}` → `{planId, sha256, steps, estimatedMs}` once the plan is
 * accepted and running; its progress follows as `plan.*` events (docs/plans.md).
 * The whole plan is checked first against this node, every problem listed in one
 * `invalid_args` (paths under `args.plan`); a plan that writes an actuator outside
 * `commands.remoteSet` is `forbidden` (the policy of `set`); a plan running already,
 * or an actuator held by an interlock, is `busy`. A refusal moves nothing.
 */
import { z } from 'zod';
import type { CommandDefinition } from './context.js';
import { withPlans } from './plan-port.js';

// The plan's own schema is applied by the node's plans (with the node's facts), so
// structural and node-specific problems come back together in one reply.
const argsSchema = z.strictObject({ plan: z.looseObject({}) });

export const planRun: CommandDefinition<z.output<typeof argsSchema>, 'plan.run'> = {
  name: 'plan.run',
  args: argsSchema,
  run: (args, context, command) =>
    withPlans(context, 'args.plan', (plans) => plans.run(args.plan, command.id)),
};
