/** `benchloop ctl read site/node [DEVICE] [CHANNEL]`: sensors read now on the node, with their units. */
import type { Command } from 'commander';
import type { WireSample } from '../client/index.js';
import { type ConnectionFlags, runWithClient, withConnectionOptions } from './ctl-common.js';

export function registerRead(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('read')
      .description('read sensors now (calibrated, not filtered); a failing sensor shows as a bad sample')
      .argument('<node>', 'site/node')
      .argument('[device]', 'one device (default: all)')
      .argument('[channel]', 'one channel of it'),
  ).action((node: string, device: string | undefined, channel: string | undefined, flags: ConnectionFlags) =>
    runWithClient(flags, async (client, out) => {
      const handle = client.node(node);
      const { samples } = await handle.read({ device, channel }, { whenOffline: 'fail' });
      // The units are in the birth, which sending the command made the client follow.
      const units = new Map(
        (handle.state?.birth?.devices ?? []).flatMap((d) =>
          d.channels.map((c) => [`${d.id}/${c.id}`, c.unit]),
        ),
      );
      out.result(samples.map((s) => formatSample(s, units.get(`${s.d}/${s.c}`))).join('\n'), { samples });
      return undefined;
    }),
  );
}

export function formatSample(s: WireSample, unit: string | undefined): string {
  const value =
    s.v === null
      ? `— (${s.q ?? 'bad'}: ${s.e ?? 'no value'})`
      : `${Number(s.v.toFixed(6))}${unit && unit !== '1' ? ` ${unit}` : ''}`;
  return `${`${s.d}/${s.c}`.padEnd(28)} ${value}${s.q && s.v !== null ? ` [${s.q}]` : ''}`;
}
