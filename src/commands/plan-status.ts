/**
 * `plan.status {planId?}` → the plan's state (`running`, `finished`, `aborted`,
 * `interrupted`), where it is or stopped (`at`), its progress and its dataset so far.
 * Without `planId`: the running plan, else the latest one; `{planId: null, state:
 * "idle"}` on a node that never ran one.
 */
import { z } from 'zod';
import type { CommandDefinition } from './context.js';
import { withPlans } from './plan-port.js';

const argsSchema = z.strictObject({ planId: z.string().min(1).max(64).optional() });

export const planStatus: CommandDefinition<z.output<typeof argsSchema>, 'plan.status'> = {
  name: 'plan.status',
  args: argsSchema,
  run: (args, context) => withPlans(context, 'args.planId', (plans) => plans.status(args.planId)),
};
