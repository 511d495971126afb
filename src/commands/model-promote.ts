/** `model.promote {name}` → `{name, version}`: the version in shadow mode starts driving. */
import { z } from 'zod';
import { itemIdSchema } from '../config/ids.js';
import type { CommandDefinition } from './context.js';
import { withModels } from './model-port.js';

const argsSchema = z.strictObject({ name: itemIdSchema });

export const modelPromote: CommandDefinition<z.output<typeof argsSchema>, 'model.promote'> = {
  name: 'model.promote',
  args: argsSchema,
  run: ({ name }, context) => withModels(context, (models) => models.promote(name)),
};
