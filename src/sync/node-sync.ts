/**
 * The node's side of the wire protocol (PROTOCOL.md): samples and events go to the
 * durable outbox and are published from it; every connection attempt takes a new
 * persisted `session` and registers a Last Will carrying it; every connect publishes
 * the retained birth; commands arrive on `R/cmd` (QoS 1, persistent session, so
 * those queued during an outage arrive) and are answered on `R/reply` and, under
 * MQTT 5, on the command's Response Topic; a clean stop publishes the death itself.
 */
import type { CommandDispatcher } from '../commands/dispatcher.js';
import type { LinkConfig } from '../config/mqtt-schema.js';
import type { EventHub, Hub, Sample } from '../events/event-hub.js';
import type { Outbox, Stream } from '../outbox/index.js';
import { type Birth, nodeTopic, parseTopic, type Reply, topicFilter } from '../protocol/index.js';
import type { StateStore } from '../store/state-store.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import { linkOptionsFromConfig } from './link-options.js';
import { MqttLink } from './mqtt-link.js';
import { OutboxPublisher } from './outbox-publisher.js';

export interface SyncLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
}

export interface NodeSyncDeps {
  node: { site: string; id: string };
  link: LinkConfig;
  inFlight: number;
  outbox: Outbox;
  state: StateStore;
  dispatcher: CommandDispatcher;
  events: EventHub;
  samples: Hub<Sample[]>;
  /** The birth document's fields that describe the node now. */
  birth(): Omit<Birth, 'online' | 'session' | 'ts'>;
  nowMs(): number;
  log: SyncLog;
  /**
   * A binary model chunk from `R/model/{transfer}/{index}` (protocol §Model transfer). Called
   * synchronously: MQTT.js acknowledges the QoS 1 message once the handler returns. Absent: not subscribed.
   */
  onModelChunk?(transfer: string, index: number, payload: Buffer): void;
}

export class NodeSync {
  private link: MqttLink | undefined;
  private broker: EmbeddedBroker | undefined;
  private readonly publishers: OutboxPublisher[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  /** The session of the connection attempt in progress or established. */
  private session = 0;

  constructor(private readonly deps: NodeSyncDeps) {}

  private topic(kind: 'status' | 'telemetry' | 'events' | 'cmd' | 'reply'): string {
    return nodeTopic({ site: this.deps.node.site, node: this.deps.node.id }, kind);
  }

  /** From here on every sample and event is kept, whether or not a broker is reachable. */
  captureData(): void {
    const { outbox, samples, events } = this.deps;
    this.unsubscribe.push(
      samples.subscribe((batch) => {
        for (const sample of batch) outbox.append('telemetry', sample);
      }),
      events.subscribe((event) => outbox.append('events', event)),
    );
  }

  async start(): Promise<void> {
    const { deps } = this;
    if (deps.link.embedded) {
      this.broker = await startEmbeddedBroker({ port: deps.link.embeddedPort });
      deps.log.info({ url: this.broker.url }, `embedded MQTT broker listening on ${this.broker.url}`);
    }
    const streams: Array<[Stream, 'telemetry' | 'events']> = [
      ['telemetry', 'telemetry'],
      ['events', 'events'],
    ];
    for (const [stream, kind] of streams) {
      this.publishers.push(new OutboxPublisher(deps.outbox, stream, this.topic(kind), deps.inFlight));
    }
    const link = new MqttLink({
      ...linkOptionsFromConfig(deps.link, deps.node),
      willFor: async () => {
        this.session = await deps.state.nextSession();
        return { topic: this.topic('status'), payload: this.death(), retain: true, qos: 1 };
      },
    });
    this.link = link;
    link.on('connected', (info) => void this.onConnected(link, info.sessionPresent));
    link.on('disconnected', (info) => {
      for (const p of this.publishers) p.pause();
      deps.log.warn({ reason: info.reason }, 'broker link down; data is kept in the outbox');
    });
    link.on('retry', (info) =>
      deps.log.info(
        { attempt: info.attempt, delayMs: info.delayMs, error: info.error.message },
        'reconnecting',
      ),
    );
    // Registered before the first connect: the link subscribes before it announces `connected` (so before
    // the birth an orchestrator may react to) and again whenever the broker lost the session.
    void link
      .subscribe(this.topic('cmd'), 1)
      .catch((error) => deps.log.error({ err: error }, 'command subscription refused'));
    const onModelChunk = deps.onModelChunk;
    if (onModelChunk)
      void link
        .subscribe(topicFilter('model', { site: deps.node.site, node: deps.node.id }), 1)
        .catch((error) => deps.log.error({ err: error }, 'model chunk subscription refused'));
    link.onMessage((topic, payload, packet) => {
      if (topic === this.topic('cmd')) {
        void this.onCommand(link, payload, packet.responseTopic, packet.correlationData);
        return;
      }
      const parsed = onModelChunk && parseTopic(topic);
      if (parsed && parsed.kind === 'model') onModelChunk(parsed.transfer, parsed.index, payload);
    });
    link.start();
  }

  private death(): string {
    return JSON.stringify({ online: false, session: this.session });
  }

  private async onConnected(link: MqttLink, sessionPresent: boolean): Promise<void> {
    const { deps } = this;
    try {
      const birth: Birth = {
        online: true,
        session: this.session,
        ...deps.birth(),
        ts: deps.nowMs(),
      } as Birth;
      await link.publish(this.topic('status'), JSON.stringify(birth), { qos: 1, retain: true });
      for (const p of this.publishers) p.resume((topic, payload) => link.publish(topic, payload, { qos: 1 }));
      deps.log.info({ session: this.session, sessionPresent }, 'connected to the broker; birth published');
    } catch (error) {
      deps.log.warn({ err: error }, 'connect sequence interrupted; it runs again on the next connect');
    }
  }

  private async onCommand(
    link: MqttLink,
    payload: Buffer,
    responseTopic?: string,
    correlationData?: Buffer,
  ): Promise<void> {
    const reply = await this.deps.dispatcher.handle(payload, { receivedAt: this.deps.nowMs() });
    await this.publishReply(link, reply, responseTopic, correlationData);
  }

  private async publishReply(
    link: MqttLink,
    reply: Reply,
    responseTopic?: string,
    correlationData?: Buffer,
  ): Promise<void> {
    const text = JSON.stringify(reply);
    const sends = [link.publish(this.topic('reply'), text, { qos: 1 })];
    if (responseTopic) {
      sends.push(
        link.publish(responseTopic, text, { qos: 1, properties: correlationData ? { correlationData } : {} }),
      );
    }
    // A reply lost with the link is not lost for good: the same command id gets the journaled reply again.
    await Promise.allSettled(sends);
  }

  /** A reply made outside this node's dispatcher (`config.apply`: the node that answers is not the one that received it). */
  async sendReply(reply: Reply): Promise<void> {
    if (this.link) await this.publishReply(this.link, reply);
  }

  /** Resolves at the next connection (now, if connected); rejects once the link has ended. */
  whenConnected(): Promise<unknown> {
    return this.link ? this.link.whenConnected() : Promise.reject(new Error('the link has not started'));
  }

  stats() {
    return {
      link: this.link?.stats(),
      session: this.session,
      outbox: this.deps.outbox.stats(),
      inFlight: this.publishers.reduce((n, p) => n + p.pending, 0),
      published: Object.fromEntries(this.publishers.map((p) => [p.stream, p.published])),
    };
  }

  /**
   * Publishes what is left (the last events: actuators going safe), within a bound,
   * then the death itself, then disconnects; the outbox keeps what was not published.
   */
  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.deps.outbox.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.publishers.map((p) => p.drained())),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 2000);
      }),
    ]);
    clearTimeout(timer);
    for (const p of this.publishers) p.close();
    await this.link?.end({
      beforeClose: (link) => link.publish(this.topic('status'), this.death(), { qos: 1, retain: true }),
      timeoutMs: 3000,
    });
    await this.broker?.close();
  }
}
