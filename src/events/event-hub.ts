/**
 * Node events (protocol §Telemetry and events: `interlock.tripped`, `device.error`, …)
 * and sample batches flow through these hubs from producers to every consumer
 * (safety, controllers, outbox, status page). Listeners run synchronously in
 * registration order; one that throws is reported and does not stop the others.
 */
import type { Quality } from '../device-kit/index.js';

export interface NodeEvent {
  type: string;
  t: number;
  [field: string]: unknown;
}

/** A sample as the protocol puts it on the wire (§Telemetry): device, channel, time, value, quality and error when not good. */
export interface Sample {
  d: string;
  c: string;
  t: number;
  v: number | null;
  q?: Exclude<Quality, 'good'>;
  e?: string;
}

export class Hub<T> {
  private readonly listeners = new Set<(item: T) => void>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  subscribe(listener: (item: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(item: T): void {
    for (const listener of this.listeners) {
      try {
        listener(item);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

export class EventHub extends Hub<NodeEvent> {
  constructor(
    private readonly nowMs: () => number,
    onListenerError: (error: unknown) => void,
  ) {
    super(onListenerError);
  }

  emit(type: string, fields: Record<string, unknown> = {}): NodeEvent {
    const event: NodeEvent = { t: this.nowMs(), type, ...fields };
    this.publish(event);
    return event;
  }
}
