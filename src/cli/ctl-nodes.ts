/** `benchloop ctl nodes [filter]`: every node with a retained status on the broker, online or not. */
import type { Command } from 'commander';
import { type NodeState, parseNodeFilter } from '../client/index.js';
import { type ConnectionFlags, runWithClient, withConnectionOptions } from './ctl-common.js';

export function registerNodes(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('nodes')
      .description('list nodes from their retained status: online or offline, session, version, inventory')
      .argument('[filter]', 'site/node, site/+ or +/+', '+/+'),
  ).action((filterText: string, flags: ConnectionFlags) =>
    runWithClient(flags, async (client, out) => {
      const filter = parseNodeFilter(filterText);
      await client.nodes.track(filter);
      const nodes = client.nodes.list(filter);
      out.result(table(nodes), nodes.map(summary));
      return undefined;
    }),
  );
}

function summary(n: NodeState) {
  const b = n.birth;
  return {
    site: n.address.site,
    node: n.address.node,
    online: n.online,
    session: n.session,
    bootId: b?.bootId,
    version: b?.version,
    lastBirth: b?.ts,
    clock: b?.clock,
    devices: b?.devices.map((d) => d.id),
    actuators: b?.actuators.map((a) => a.id),
    models: b?.models,
  };
}

function table(nodes: NodeState[]): string {
  if (nodes.length === 0) return 'no node has a status on this broker';
  const rows = nodes.map((n) => {
    const b = n.birth;
    return [
      n.key,
      n.online ? 'online' : 'offline',
      String(n.session),
      b?.version ?? '-',
      b ? new Date(b.ts).toISOString().replace(/\.\d+Z$/, 'Z') : '-',
      b ? `${b.devices.length}` : '-',
      b ? `${b.actuators.length}` : '-',
      b
        ? b.models.map((m) => `${m.name}@${m.version}${m.active ? '' : ' (inactive)'}`).join(', ') || '-'
        : '-',
    ];
  });
  const header = ['NODE', 'STATE', 'SESSION', 'VERSION', 'LAST BIRTH', 'DEVICES', 'ACTUATORS', 'MODELS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
