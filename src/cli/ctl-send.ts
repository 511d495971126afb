/** `benchloop ctl send site/node NAME [ARGS]`: any command, its result as the node sent it. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { SendOptions } from '../client/index.js';
import { type ConnectionFlags, positiveSeconds, runWithClient, withConnectionOptions } from './ctl-common.js';

interface SendFlags extends ConnectionFlags {
  id?: string;
  expiresIn?: number;
  expires: boolean;
}

const jsonObject = (text: string): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidArgumentError('args must be a JSON object, e.g. \'{"device":"chamber"}\'');
  return value as Record<string, unknown>;
};

export function registerSend(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('send')
      .description('send one command and print its reply (e.g. model.list, plan.status, config.get)')
      .argument('<node>', 'site/node')
      .argument('<name>', 'command name, e.g. ping')
      .argument('[args]', 'arguments as a JSON object', jsonObject)
      .option('--id <id>', 'command id (resend a command by its id to get its first reply again)')
      .option('--expires-in <seconds>', 'expiresAt = now + this (default: the --timeout)', positiveSeconds)
      .option('--no-expires', 'send no expiresAt (the command may run whenever the node gets it)'),
  ).action((node: string, name: string, args: Record<string, unknown> | undefined, flags: SendFlags) =>
    runWithClient(flags, async (client, out) => {
      const options: SendOptions = {
        id: flags.id,
        whenOffline: 'fail',
        expiresInMs: !flags.expires
          ? null
          : flags.expiresIn === undefined
            ? undefined
            : flags.expiresIn * 1000,
      };
      const result = await client.node(node).send(name, args, options);
      out.result(JSON.stringify(result, null, 2), result);
      return undefined;
    }),
  );
}
