/** `model.rollback {name}` → `{name, version}`: the version active before this one runs again. */
import { z } from 'zod';
import { itemIdSchema } from '../config/ids.js';
import type { CommandDefinition } from './context.js';
import { withModels } from './model-port.js';

const argsSchema = z.strictObject({ name: itemIdSchema });

export const modelRollback: CommandDefinition<z.output<typeof argsSchema>, 'model.rollback'> = {
  name: 'model.rollback',
  args: argsSchema,
  run: ({ name }, context) => withModels(context, (models) => models.rollback(name)),
};
