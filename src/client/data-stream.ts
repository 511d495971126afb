/**
 * Telemetry and events of one or many nodes, de-duplicated by `seq` and with gaps
 * detected and matched against the `data.dropped` reports of the node (see
 * seq-tracker.ts). With `share`, the subscription is an MQTT shared subscription
 * (`$share/{group}/…`, MQTT 5 §4.8.2; Mosquitto also takes it under 3.1.1): the
 * broker hands each message to one member of the group, so a fleet's data spreads
 * over worker processes. A worker then sees only some seqs of a node, so gap
 * detection is off there; de-duplication still works within the worker.
 */
import type { NodeAddress, WireEvent, WireSample } from '../protocol/index.js';
import { parseTopic, topicFilter } from '../protocol/index.js';
import type { MqttLink } from '../sync/mqtt-link.js';
import { matchesFilter, type NodeFilter, nodeKey } from './address.js';
import { Emitter } from './emitter.js';
import { DropLedger, isDroppedEvent, type SeqRange, SeqTracker, type StreamName } from './seq-tracker.js';
import { readEvents, readTelemetry } from './wire.js';

export interface WatchOptions {
  /** Which nodes: default every node on the broker. */
  nodes?: NodeFilter;
  /** Default true. */
  telemetry?: boolean;
  /** Default true. Subscribed anyway (not delivered) when telemetry gaps are detected, to match them with drops. */
  events?: boolean;
  /** The shared-subscription group: every message goes to one member of the group. */
  share?: string;
  /** Per `site/node`, the last seqs already processed (e.g. stored before a restart): a gap after them is reported. */
  after?: Record<string, Partial<Record<StreamName, number>>>;
}

interface Origin {
  address: NodeAddress;
  /** `site/node`. */
  key: string;
  seq: number;
  bootId: string;
}

export interface TelemetryMessage extends Origin {
  samples: WireSample[];
}

export interface EventsMessage extends Origin {
  events: WireEvent[];
}

export interface DropReport extends SeqRange {
  address: NodeAddress;
  key: string;
  stream: StreamName;
  items?: number;
  reason?: string;
  /** The node's time of the drop. */
  t: number;
}

export interface Gap extends SeqRange {
  address: NodeAddress;
  key: string;
  stream: StreamName;
  /** A `data.dropped` report covers it: the node dropped these messages under its storage bound. */
  explained: boolean;
}

export interface StreamStats {
  received: number;
  duplicates: number;
  late: number;
  gaps: number;
  explained: number;
  highestSeq?: number;
}

export interface DataStreamEvents {
  telemetry: TelemetryMessage;
  events: EventsMessage;
  /** A jump in seq; `explained` when a drop report already covers it, else an `explained` may follow. */
  gap: Gap;
  /** A gap reported earlier, now covered by a drop report. */
  explained: Gap;
  dropped: DropReport;
  /** The node's seqs started again (its data directory was replaced): tracking starts over. */
  reset: { address: NodeAddress; key: string; stream: StreamName; previousHighest: number; seq: number };
}

interface NodeStreams {
  origin: { address: NodeAddress; key: string };
  trackers: Record<StreamName, SeqTracker>;
  drops: Record<StreamName, DropLedger>;
  stats: Record<StreamName, StreamStats>;
}

const SHARE_GROUP = /^[^/+#]{1,64}$/;

export class DataStream extends Emitter<DataStreamEvents> {
  /** Resolves once the broker acknowledged the subscriptions: nothing published after is missed. */
  readonly ready: Promise<void>;
  readonly detectsGaps: boolean;
  private readonly filter: NodeFilter;
  private readonly nodes = new Map<string, NodeStreams>();
  private readonly stop: () => void;
  private closed = false;

  constructor(
    link: MqttLink,
    private readonly options: WatchOptions = {},
  ) {
    super();
    if (options.share !== undefined && !SHARE_GROUP.test(options.share))
      throw new Error(`share group ${JSON.stringify(options.share)}: 1 to 64 characters, no "/", "+" or "#"`);
    this.filter = options.nodes ?? {};
    this.detectsGaps = options.share === undefined;
    const wants = {
      telemetry: options.telemetry ?? true,
      events: (options.events ?? true) || ((options.telemetry ?? true) && this.detectsGaps),
    };
    const prefix = options.share === undefined ? '' : `$share/${options.share}/`;
    const subscriptions = (['telemetry', 'events'] as const)
      .filter((s) => wants[s])
      .map((s) => link.subscribe(`${prefix}${topicFilter(s, this.filter)}`, 1));
    this.ready = Promise.all(subscriptions).then(() => {});
    // Rejects when the broker refuses a subscription or the client closes first; a caller that never awaits it is not told.
    this.ready.catch(() => {});
    this.stop = link.onMessage((topic, payload) => {
      const parsed = parseTopic(topic);
      if (!parsed || !matchesFilter(this.filter, parsed)) return;
      if (parsed.kind === 'telemetry' && wants.telemetry) this.onTelemetry(parsed, payload);
      else if (parsed.kind === 'events' && wants.events) this.onEvents(parsed, payload);
    });
  }

  /** Per `site/node` and stream: what was received, dropped as duplicate, and the gaps. */
  stats(): Record<string, Record<StreamName, StreamStats>> {
    return Object.fromEntries([...this.nodes].map(([key, n]) => [key, n.stats]));
  }

  /** Gaps not (yet) covered by a drop report, per `site/node`. */
  openGaps(): Gap[] {
    if (!this.detectsGaps) return [];
    return [...this.nodes.values()].flatMap((n) =>
      (['telemetry', 'events'] as const).flatMap((stream) =>
        n.trackers[stream].openGaps().map((g) => ({ ...n.origin, stream, ...g, explained: false })),
      ),
    );
  }

  /**
   * Stops delivering. The broker subscription stays until the client closes (the
   * link has no unsubscribe): a shared-subscription worker leaves its group by
   * closing its client, or the broker keeps handing it a share of the messages.
   */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private streams(address: NodeAddress): NodeStreams {
    const key = nodeKey(address);
    let n = this.nodes.get(key);
    if (!n) {
      const after = this.options.after?.[key] ?? {};
      const stats = (): StreamStats => ({ received: 0, duplicates: 0, late: 0, gaps: 0, explained: 0 });
      n = {
        origin: { address: { site: address.site, node: address.node }, key },
        trackers: { telemetry: new SeqTracker(after.telemetry), events: new SeqTracker(after.events) },
        drops: { telemetry: new DropLedger(), events: new DropLedger() },
        stats: { telemetry: stats(), events: stats() },
      };
      this.nodes.set(key, n);
    }
    return n;
  }

  /** Seq bookkeeping shared by both streams; false when the message is a duplicate. */
  private admit(address: NodeAddress, stream: StreamName, seq: number, bootId: string): boolean {
    const n = this.streams(address);
    const stats = n.stats[stream];
    const verdict = n.trackers[stream].accept(seq, bootId);
    if (verdict.kind === 'duplicate') {
      stats.duplicates++;
      return false;
    }
    stats.received++;
    stats.highestSeq = n.trackers[stream].highestSeq;
    const key = nodeKey(address);
    if (verdict.kind === 'late') stats.late++;
    if (verdict.kind === 'reset') {
      n.drops[stream] = new DropLedger();
      this.emit('reset', { address, key, stream, previousHighest: verdict.previousHighest, seq });
    }
    if (verdict.kind === 'new' && verdict.gap && this.detectsGaps) {
      stats.gaps++;
      const gap: Gap = {
        address,
        key,
        stream,
        ...verdict.gap,
        explained: n.drops[stream].covers(verdict.gap),
      };
      if (gap.explained) {
        stats.explained++;
        n.trackers[stream].close(gap);
      }
      this.emit('gap', gap);
    }
    return true;
  }

  private onTelemetry(address: NodeAddress, payload: Buffer): void {
    const batch = readTelemetry(payload);
    if (!batch || this.closed || !this.admit(address, 'telemetry', batch.seq, batch.bootId)) return;
    const { seq, bootId, samples } = batch;
    this.emit('telemetry', { address, key: nodeKey(address), seq, bootId, samples });
  }

  private onEvents(address: NodeAddress, payload: Buffer): void {
    const batch = readEvents(payload);
    if (!batch || this.closed || !this.admit(address, 'events', batch.seq, batch.bootId)) return;
    const { seq, bootId, events } = batch;
    const key = nodeKey(address);
    if (this.options.events ?? true) this.emit('events', { address, key, seq, bootId, events });
    for (const event of events) {
      if (!isDroppedEvent(event)) continue;
      // The contract names only the seqs; this node adds `stream`. Without it, telemetry is meant.
      const stream: StreamName = event.stream === 'events' ? 'events' : 'telemetry';
      const report: DropReport = {
        address,
        key,
        stream,
        firstSeq: event.firstSeq,
        lastSeq: event.lastSeq,
        items: event.items,
        reason: event.reason,
        t: event.t,
      };
      this.emit('dropped', report);
      this.explain(address, report);
    }
  }

  private explain(address: NodeAddress, report: DropReport): void {
    const n = this.streams(address);
    const { stream } = report;
    n.drops[stream].add(report);
    if (!this.detectsGaps) return;
    for (const gap of n.trackers[stream].openGaps().filter((g) => n.drops[stream].covers(g))) {
      n.stats[stream].explained++;
      n.trackers[stream].close(gap);
      this.emit('explained', { ...n.origin, stream, ...gap, explained: true });
    }
  }
}
