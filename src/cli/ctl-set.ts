/** `benchloop ctl set site/node ACTUATOR VALUE`: one actuator, through the node's safety gate. */
import { type Command, InvalidArgumentError } from 'commander';
import { type ConnectionFlags, runWithClient, withConnectionOptions } from './ctl-common.js';

const finite = (text: string): number => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new InvalidArgumentError('a finite number');
  return value;
};

export function registerSet(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('set')
      .description(
        'set an actuator; refused (exit 1) outside its envelope, while an interlock holds it, or when not remotely settable',
      )
      .argument('<node>', 'site/node')
      .argument('<actuator>', 'actuator id')
      .argument('<value>', 'the new value', finite),
  ).action((node: string, actuator: string, value: number, flags: ConnectionFlags) =>
    runWithClient(flags, async (client, out) => {
      const r = await client.node(node).set(actuator, value, { whenOffline: 'fail' });
      out.result(`${node} ${r.actuator}: ${r.previous} → ${r.value}`, r);
      return undefined;
    }),
  );
}
