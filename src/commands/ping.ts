/** `ping` → `{bootId, uptimeMs}`: liveness, and a changed bootId tells the caller the node restarted. */
import { z } from 'zod';
import type { CommandDefinition } from './context.js';

export const ping: CommandDefinition<Record<string, never>, 'ping'> = {
  name: 'ping',
  args: z.strictObject({}),
  async run(_args, context) {
    return { ok: true, result: { bootId: context.bootId, uptimeMs: Math.round(context.uptimeMs()) } };
  },
};
