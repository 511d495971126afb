/** `model.list` → `{models: […]}`: every installed version, which is active, which runs in shadow. */
import { z } from 'zod';
import type { CommandDefinition } from './context.js';
import { withModels } from './model-port.js';

export const modelList: CommandDefinition<Record<string, never>, 'model.list'> = {
  name: 'model.list',
  args: z.strictObject({}),
  run: (_args, context) => withModels(context, (models) => ({ ok: true, result: models.list() })),
};
