/**
 * `model.commit {transfer, shadow?}` → `{name, version, active}`: checks size and
 * sha256, loads the model and checks it against the config, then activates it (or
 * runs it in shadow). Any failure is `failed` with the reason; the active version stays.
 */
import { z } from 'zod';
import { TRANSFER_ID_PATTERN } from '../protocol/topics.js';
import type { CommandDefinition } from './context.js';
import { withModels } from './model-port.js';

const argsSchema = z.strictObject({
  transfer: z.string().regex(TRANSFER_ID_PATTERN, { error: 'a transfer id as model.begin returned it' }),
  shadow: z.boolean().optional(),
});

export const modelCommit: CommandDefinition<z.output<typeof argsSchema>, 'model.commit'> = {
  name: 'model.commit',
  args: argsSchema,
  run: (args, context) => withModels(context, (models) => models.commit(args)),
};
