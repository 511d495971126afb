/**
 * `/metrics` in the Prometheus text format, with prom-client (its only importer).
 * One registry per server, never prom-client's global one, so two nodes in one
 * process (tests) never share series. Counts that happen here (samples, events,
 * inference runs) are counted as they pass on the hubs; counts the node keeps itself
 * (reads, read errors, overruns, reconnects, outbox depth) are read from its reports
 * once per scrape, so the two can never drift apart.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeEvent, Sample } from '../events/event-hub.js';
import type { LoopLag } from './loop-lag.js';
import type { InferenceTiming, NodeStatus, Subscribable, SyncStatsLike, WebNode } from './web-deps.js';

export interface MetricsDeps {
  node: WebNode;
  lag: LoopLag;
  inferences?: Subscribable<InferenceTiming> | undefined;
  sseClients(): number;
}

export interface NodeMetrics {
  readonly contentType: string;
  render(): Promise<string>;
  close(): void;
}

interface Scrape {
  status: NodeStatus;
  sync: SyncStatsLike | undefined;
}

/**
 * Empties a metric before its collector fills it from the report. prom-client's reset
 * leaves a label-less metric at 0: removing that keeps a series that does not apply
 * (the broker link of a node without one) absent, not a false 0.
 */
function clear(metric: Counter<string> | Gauge<string>, labelNames: readonly string[]): void {
  metric.reset();
  if (labelNames.length === 0) metric.remove({});
}

export function createMetrics(deps: MetricsDeps): NodeMetrics {
  const registry = new Registry();
  const registers = [registry];
  /** Taken once per scrape, before the collectors run: one status read per scrape, all series from it. */
  let scrape: Scrape | undefined;
  const current = () => scrape!;

  /** A counter whose truth lives in the node: set from its report at each scrape. */
  const reported = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (s: Scrape) => Array<[Partial<Record<L, string>>, number]>,
  ) =>
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        clear(this, labelNames);
        for (const [labels, value] of read(current())) this.inc(labels, value);
      },
    });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (s: Scrape) => Array<[Partial<Record<L, string>>, number]>,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        clear(this, labelNames);
        for (const [labels, value] of read(current())) this.set(labels, value);
      },
    });
  const perDevice = (pick: (d: NodeStatus['devices'][number]) => number) => (s: Scrape) =>
    s.status.devices.map((d): [{ device: string }, number] => [{ device: d.id }, pick(d)]);
  const perStream = (pick: (o: SyncStatsLike['outbox'][string]) => number) => (s: Scrape) =>
    Object.entries(s.sync?.outbox ?? {}).map(([stream, o]): [{ stream: string }, number] => [
      { stream },
      pick(o),
    ]);

  gauge(
    'benchloop_info',
    'The node and the version it runs (always 1).',
    ['site', 'node', 'version'],
    (s) => [[{ site: s.status.node.site, node: s.status.node.id, version: s.status.version }, 1]],
  );
  gauge('benchloop_uptime_seconds', 'Seconds since the process started.', [], (s) => [
    [{}, s.status.uptimeMs / 1000],
  ]);

  const samples = new Counter({
    name: 'benchloop_samples_total',
    help: 'Samples read and published, by device and quality (good, uncertain, bad).',
    labelNames: ['device', 'quality'],
    registers,
  });
  reported(
    'benchloop_device_reads_total',
    'Read attempts per device.',
    ['device'],
    perDevice((d) => d.reads),
  );
  reported(
    'benchloop_device_read_errors_total',
    'Failed reads per device.',
    ['device'],
    perDevice((d) => d.failures),
  );
  gauge(
    'benchloop_device_up',
    '1 while the device reads, 0 while it fails.',
    ['device'],
    perDevice((d) => +d.ok),
  );
  reported(
    'benchloop_scheduler_overruns_total',
    'Sampling deadlines missed because the previous read was still running.',
    ['device'],
    perDevice((d) => d.overruns),
  );
  const events = new Counter({
    name: 'benchloop_events_total',
    help: 'Node events, by type.',
    labelNames: ['type'],
    registers,
  });
  gauge('benchloop_actuator_value', 'Current value of each output.', ['actuator'], (s) =>
    s.status.actuators.map((a) => [{ actuator: a.id }, a.value]),
  );
  gauge('benchloop_interlock_tripped', '1 while the interlock is tripped.', ['interlock'], (s) =>
    s.status.interlocks.map((i) => [{ interlock: i.id }, +i.tripped]),
  );

  gauge('benchloop_mqtt_link_up', '1 while the broker link is online (absent without a broker).', [], (s) =>
    s.sync ? [[{}, +(s.sync.link?.state === 'online')]] : [],
  );
  reported('benchloop_mqtt_reconnects_total', 'Successful connections after the first.', [], (s) =>
    s.sync?.link ? [[{}, s.sync.link.reconnects]] : [],
  );
  reported('benchloop_mqtt_connect_attempts_total', 'Connection attempts, failed ones included.', [], (s) =>
    s.sync?.link ? [[{}, s.sync.link.attempts]] : [],
  );
  reported(
    'benchloop_published_messages_total',
    'Messages the broker acknowledged, per stream (rate() of it is the publish rate).',
    ['stream'],
    (s) => Object.entries(s.sync?.published ?? {}).map(([stream, n]) => [{ stream }, n]),
  );
  gauge(
    'benchloop_outbox_messages',
    'Outbox backlog: messages stored and not yet acknowledged.',
    ['stream'],
    perStream((o) => o.messages),
  );
  gauge(
    'benchloop_outbox_bytes',
    'Bytes the outbox backlog takes.',
    ['stream'],
    perStream((o) => o.bytes),
  );
  reported(
    'benchloop_outbox_dropped_total',
    'Messages dropped unpublished (storage bound, damage) since start.',
    ['stream'],
    perStream((o) => o.dropped),
  );

  const inference = new Histogram({
    name: 'benchloop_inference_latency_seconds',
    help: 'Time of one inference run, per model.',
    labelNames: ['model'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  gauge(
    'benchloop_event_loop_lag_seconds',
    'Event-loop lag over the last window, by statistic (p50, p99, max).',
    ['stat'],
    () => {
      const w = deps.lag.window();
      return w
        ? [
            [{ stat: 'p50' }, w.p50Ms / 1000],
            [{ stat: 'p99' }, w.p99Ms / 1000],
            [{ stat: 'max' }, w.maxMs / 1000],
          ]
        : [];
    },
  );
  gauge('benchloop_web_live_clients', 'Status pages connected to the live feed.', [], () => [
    [{}, deps.sseClients()],
  ]);

  const unsubscribe = [
    deps.node.samples.subscribe((batch: readonly Sample[]) => {
      for (const s of batch) samples.inc({ device: s.d, quality: s.q ?? 'good' });
    }),
    deps.node.events.subscribe((event: NodeEvent) => events.inc({ type: event.type })),
    ...(deps.inferences
      ? [deps.inferences.subscribe((run) => inference.observe({ model: run.model }, run.latencyMs / 1000))]
      : []),
  ];

  return {
    contentType: registry.contentType,
    render() {
      scrape = { status: deps.node.status(), sync: deps.node.sync?.stats() };
      return registry.metrics();
    },
    close() {
      for (const u of unsubscribe) u();
    },
  };
}
