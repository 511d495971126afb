/** `describe` → the birth document as of now, plus `configHash`. */
import { z } from 'zod';
import { birthDocument, type Description } from '../protocol/messages.js';
import type { CommandDefinition } from './context.js';

export const describe: CommandDefinition<Record<string, never>, 'describe'> = {
  name: 'describe',
  args: z.strictObject({}),
  async run(_args, context) {
    const { devices, actuators, models } = context.describe();
    const result: Description = {
      ...birthDocument({
        session: context.session(),
        bootId: context.bootId,
        version: context.version,
        ts: context.nowMs(),
        clock: context.clock(),
        devices,
        actuators,
        models,
      }),
      configHash: context.configHash(),
    };
    return { ok: true, result };
  },
};
