/**
 * Publishes one outbox stream in seq order with a bounded in-flight window and
 * acknowledges each message to the outbox only on its PUBACK (issue #4: durability
 * is the outbox's job, not MQTT.js's in-memory store). After a reconnect it starts
 * again from the oldest unacknowledged message: a subscriber may see a seq twice,
 * never miss one.
 */
import { encodePayload, type Outbox, type Stream } from '../outbox/index.js';

export type Publish = (topic: string, payload: string) => Promise<void>;

export class OutboxPublisher {
  private generation = 0;
  private publish: Publish | undefined;
  private inFlight = 0;
  private lastSent = 0;
  private readonly unsubscribe: () => void;
  private readonly drainWaiters = new Set<() => void>();
  published = 0;

  constructor(
    private readonly outbox: Outbox,
    readonly stream: Stream,
    private readonly topic: string,
    private readonly window: number,
  ) {
    this.unsubscribe = outbox.onCommitted(() => this.pump());
  }

  /** The link is up: (re)send from the oldest message the broker has not acknowledged. */
  resume(publish: Publish): void {
    this.generation += 1;
    this.publish = publish;
    this.inFlight = 0;
    this.lastSent = 0;
    this.pump();
  }

  /** The link is down: stop sending; in-flight publishes fail and are sent again on resume. */
  pause(): void {
    this.generation += 1;
    this.publish = undefined;
    this.wakeDrainWaiters();
  }

  close(): void {
    this.pause();
    this.unsubscribe();
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Resolves once everything committed so far is acknowledged (or the link went down). */
  drained(): Promise<void> {
    if (!this.publish || this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.add(resolve));
  }

  private isDrained(): boolean {
    return this.inFlight === 0 && this.outbox.next(this.stream, 0, 1).length === 0;
  }

  private pump(): void {
    const publish = this.publish;
    if (!publish) {
      this.wakeDrainWaiters();
      return;
    }
    const generation = this.generation;
    while (this.inFlight < this.window) {
      const messages = this.outbox.next(this.stream, this.lastSent, this.window - this.inFlight);
      if (messages.length === 0) {
        if (this.isDrained()) this.wakeDrainWaiters();
        return;
      }
      for (const message of messages) {
        this.lastSent = message.seq;
        this.inFlight += 1;
        publish(this.topic, encodePayload(message)).then(
          () => {
            this.outbox.ack(this.stream, message.seq);
            this.published += 1;
            this.settled(generation);
          },
          () => this.settled(generation),
        );
      }
    }
  }

  private wakeDrainWaiters(): void {
    for (const resolve of this.drainWaiters) resolve();
    this.drainWaiters.clear();
  }

  private settled(generation: number): void {
    if (generation !== this.generation) return;
    this.inFlight -= 1;
    this.pump();
  }
}
