/** `model.begin {name, version, sha256, size}` → `{transfer, chunkSize}`: opens a transfer; chunks follow on `R/model/{transfer}/{index}`. */
import { z } from 'zod';
import { itemIdSchema } from '../config/ids.js';
import type { CommandDefinition } from './context.js';
import { withModels } from './model-port.js';

const argsSchema = z.strictObject({
  name: itemIdSchema,
  version: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'a version of 1–64 letters, digits, "_", "." or "-"' }),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'the file’s sha256 as 64 hexadecimal digits' })
    .transform((s) => s.toLowerCase()),
  size: z.int().min(1),
});

export const modelBegin: CommandDefinition<z.output<typeof argsSchema>, 'model.begin'> = {
  name: 'model.begin',
  args: argsSchema,
  run: (args, context) => withModels(context, (models) => models.begin(args)),
};
