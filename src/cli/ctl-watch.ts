/**
 * `benchloop ctl watch [FILTER…]`: telemetry and events as they come, de-duplicated
 * by seq, with gaps reported and matched to the node's `data.dropped` reports; with
 * `--status`, nodes going online and offline. `--share GROUP` makes this process one
 * worker of a shared subscription. Runs until Ctrl-C, or `--count` messages.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type BenchloopClient, type DataStream, type Gap, parseNodeFilter } from '../client/index.js';
import { type ConnectionFlags, type Output, runWithClient, withConnectionOptions } from './ctl-common.js';
import { formatSample } from './ctl-read.js';

interface WatchFlags extends ConnectionFlags {
  telemetry: boolean;
  events: boolean;
  status?: boolean;
  share?: string;
  count?: number;
}

const count = (text: string): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return value;
};

export function registerWatch(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('watch')
      .description('follow telemetry and events (de-duplicated; gaps reported), and with --status liveness')
      .argument('[filters...]', 'site/node, site/+ or +/+ (default: every node)')
      .option('--no-telemetry', 'no telemetry')
      .option('--no-events', 'no events')
      .option('--status', 'also report nodes going online and offline')
      .option('--share <group>', 'join a shared subscription: the broker spreads messages over the group')
      .option('--count <n>', 'exit after this many telemetry and event messages', count),
  ).action((filters: string[], flags: WatchFlags) =>
    runWithClient(flags, (client, out) => watch(client, out, filters, flags)),
  );
}

async function watch(client: BenchloopClient, out: Output, filterTexts: string[], flags: WatchFlags) {
  const filters = (filterTexts.length > 0 ? filterTexts : ['+/+']).map(parseNodeFilter);
  let remaining = flags.count ?? Number.POSITIVE_INFINITY;
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const counted = () => {
    if (--remaining <= 0) finish();
  };
  const streams: DataStream[] = [];
  for (const nodes of filters) {
    const stream = client.watch({
      nodes,
      telemetry: flags.telemetry,
      events: flags.events,
      share: flags.share,
    });
    streams.push(stream);
    stream.on('telemetry', (m) => {
      if (remaining <= 0) return;
      const units = unitsOf(client, m.address);
      const text = m.samples
        .map((s) => formatSample(s, units.get(`${s.d}/${s.c}`)).replace(/ {2,}/, ' '))
        .join('; ');
      out.line(`${clock()} ${m.key} #${m.seq} ${text}`, {
        type: 'telemetry',
        node: m.key,
        seq: m.seq,
        bootId: m.bootId,
        samples: m.samples,
      });
      counted();
    });
    stream.on('events', (m) => {
      if (remaining <= 0) return;
      if (out.json)
        out.line('', { type: 'events', node: m.key, seq: m.seq, bootId: m.bootId, events: m.events });
      else
        for (const { t: _t, type, ...fields } of m.events) {
          const detail = Object.entries(fields).map(
            ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
          );
          out.line(`${clock()} ${m.key} event ${type} ${detail.join(' ')}`.trimEnd(), undefined);
        }
      counted();
    });
    stream.on('gap', (g) => out.line(gapText('GAP', g), { type: 'gap', ...gapData(g) }));
    stream.on('explained', (g) => out.line(gapText('EXPLAINED', g), { type: 'explained', ...gapData(g) }));
    stream.on('dropped', (d) =>
      out.line(
        `${clock()} ${d.key} the node dropped ${d.stream} seq ${d.firstSeq}–${d.lastSeq}${d.items === undefined ? '' : ` (${d.items} items)`}: ${d.reason ?? 'no reason given'}`,
        {
          type: 'dropped',
          node: d.key,
          stream: d.stream,
          firstSeq: d.firstSeq,
          lastSeq: d.lastSeq,
          items: d.items,
          reason: d.reason,
          t: d.t,
        },
      ),
    );
    stream.on('reset', (r) =>
      out.line(
        `${clock()} ${r.key} ${r.stream} seq restarted at ${r.seq} (was ${r.previousHighest}): the node's data directory was replaced`,
        { type: 'reset', node: r.key, stream: r.stream, seq: r.seq, previousHighest: r.previousHighest },
      ),
    );
  }
  if (flags.status) {
    client.nodes.on('online', ({ node, restarted }) =>
      out.line(`${clock()} ${node.key} online (session ${node.session}${restarted ? ', restarted' : ''})`, {
        type: 'status',
        node: node.key,
        online: true,
        session: node.session,
        bootId: node.birth?.bootId,
        restarted,
      }),
    );
    client.nodes.on('offline', ({ node }) =>
      out.line(`${clock()} ${node.key} OFFLINE (session ${node.session})`, {
        type: 'status',
        node: node.key,
        online: false,
        session: node.session,
      }),
    );
  }
  // Units for the telemetry lines come from the births.
  await Promise.all([...streams.map((s) => s.ready), ...filters.map((f) => client.nodes.track(f))]);
  out.note(
    `watching ${filterTexts.join(' ') || '+/+'}${flags.share ? ` in shared group ${flags.share}` : ''}; Ctrl-C stops`,
    { type: 'ready' },
  );
  const stop = () => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  for (const s of streams) s.close();
  const stats = Object.assign({}, ...streams.map((s) => s.stats()));
  out.note(summaryText(stats), { type: 'summary', stats });
  return undefined;
}

function unitsOf(client: BenchloopClient, address: { site: string; node: string }): Map<string, string> {
  const birth = client.nodes.get(address)?.birth;
  return new Map((birth?.devices ?? []).flatMap((d) => d.channels.map((c) => [`${d.id}/${c.id}`, c.unit])));
}

const clock = () => new Date().toISOString().slice(11, 23);

function gapText(what: string, g: Gap): string {
  const n = g.lastSeq - g.firstSeq + 1;
  const why = g.explained
    ? 'the node reported dropping them (data.dropped)'
    : 'not received (yet); no drop reported';
  return `${clock()} ${g.key} ${what} ${g.stream} seq ${g.firstSeq}–${g.lastSeq} (${n} message${n === 1 ? '' : 's'}): ${why}`;
}

function gapData(g: Gap) {
  return { node: g.key, stream: g.stream, firstSeq: g.firstSeq, lastSeq: g.lastSeq, explained: g.explained };
}

function summaryText(
  stats: Record<
    string,
    Record<string, { received: number; duplicates: number; gaps: number; explained: number }>
  >,
): string {
  const lines = Object.entries(stats).flatMap(([node, streams]) =>
    Object.entries(streams)
      .filter(([, s]) => s.received > 0)
      .map(
        ([stream, s]) =>
          `${node} ${stream}: ${s.received} received, ${s.duplicates} duplicates dropped, ${s.gaps} gaps (${s.explained} explained)`,
      ),
  );
  return lines.length > 0 ? lines.join('\n') : 'nothing received';
}
