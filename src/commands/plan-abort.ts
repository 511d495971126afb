/**
 * `plan.abort {planId}` → `{planId, state}` once the plan has ended: its actuators
 * are at their safe values (those an interlock holds stay at the interlock's value)
 * and `plan.aborted` is on its way. A plan already over is left as it is and the
 * reply says how it ended; an unknown id is `not_found`.
 */
import { z } from 'zod';
import type { CommandDefinition } from './context.js';
import { withPlans } from './plan-port.js';

const argsSchema = z.strictObject({ planId: z.string().min(1).max(64) });

export const planAbort: CommandDefinition<z.output<typeof argsSchema>, 'plan.abort'> = {
  name: 'plan.abort',
  args: argsSchema,
  run: (args, context, command) =>
    withPlans(context, 'args.planId', (plans) => plans.abort(args.planId, command.id)),
};
