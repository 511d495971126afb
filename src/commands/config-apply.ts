/**
 * `config.apply {config, expectedHash}` → `{configHash}` once the node runs healthy on
 * the new configuration. The supervisor of `benchloop run` does the work; in
 * the protocol's order: the port validates the whole configuration (`invalid_args`
 * listing every problem), then refuses while a plan runs (`busy`) or when
 * `expectedHash` is stale (`failed`), then applies (docs/deploy.md, "Remote configuration").
 */
import { z } from 'zod';
import { type CommandDefinition, failure } from './context.js';

const argsSchema = z.strictObject({
  config: z.record(z.string(), z.unknown()),
  expectedHash: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, {
      error: 'the configHash from config.get or describe: 64 hexadecimal digits',
    })
    .transform((s) => s.toLowerCase()),
});

export const configApply: CommandDefinition<z.output<typeof argsSchema>, 'config.apply'> = {
  name: 'config.apply',
  args: argsSchema,
  async run(args, context, command) {
    if (!context.remoteConfig)
      return failure('failed', undefined, 'remote configuration needs the node to run under `benchloop run`');
    return context.remoteConfig.apply({
      ...args,
      commandId: command.id,
      planRunning: context.planRunning?.() ?? false,
    });
  },
};
