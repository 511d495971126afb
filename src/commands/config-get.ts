/** `config.get` → `{config, configHash}`: the running configuration, secrets redacted (config-redact.ts). */
import { z } from 'zod';
import { type CommandDefinition, failure } from './context.js';

export const configGet: CommandDefinition<Record<string, never>, 'config.get'> = {
  name: 'config.get',
  args: z.strictObject({}),
  async run(_args, context) {
    if (!context.remoteConfig)
      return failure('failed', undefined, 'remote configuration needs the node to run under `benchloop run`');
    return { ok: true, result: context.remoteConfig.get() };
  },
};
