/** `benchloop ctl describe site/node`: the node's `describe` (its birth document as of now, plus its config hash). */
import type { Command } from 'commander';
import type { Description } from '../client/index.js';
import { type ConnectionFlags, runWithClient, withConnectionOptions } from './ctl-common.js';

export function registerDescribe(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('describe')
      .description('what a node has: devices, channels and units, actuators and envelopes, models, clock')
      .argument('<node>', 'site/node'),
  ).action((node: string, flags: ConnectionFlags) =>
    runWithClient(flags, async (client, out) => {
      const d = await client.node(node).describe({ whenOffline: 'fail' });
      out.result(render(node, d), d);
      return undefined;
    }),
  );
}

function render(node: string, d: Description): string {
  const lines = [
    `${node}  version ${d.version}  session ${d.session}  boot ${d.bootId}`,
    `clock ${d.clock.synced ? 'synchronised' : 'NOT synchronised (times and expiry are suspect)'}  config ${d.configHash}`,
    'devices:',
    ...d.devices.map(
      (dev) => `  ${dev.id} (${dev.type}): ${dev.channels.map((c) => `${c.id} [${c.unit}]`).join(', ')}`,
    ),
    'actuators:',
    ...d.actuators.map(
      (a) =>
        `  ${a.id} (${a.type}) = ${a.value} in [${a.min}, ${a.max}], safe ${a.safe}${a.heldBy?.length ? `, held by ${a.heldBy.join(', ')}` : ''}`,
    ),
    'models:',
    ...(d.models.length === 0
      ? ['  none']
      : d.models.map((m) => `  ${m.name} ${m.version}${m.active ? ' (active)' : ''} sha256 ${m.sha256}`)),
  ];
  return lines.join('\n');
}
