/**
 * Plans (protocol §Commands: "a long command replies once it is accepted and reports
 * its progress as events"): `plan.run` answers `{planId}` at once, then the node
 * publishes `plan.started`, `plan.step`… and one of `plan.finished` or
 * `plan.aborted`, each naming the plan by `planId`. Following a plan means
 * subscribing to the node's events *before* sending `plan.run` (the events go through
 * the node's outbox and may overtake the reply), keeping the plan events that come
 * before the planId is known, and matching them once it is.
 */
import type { NodeAddress, WireEvent } from '../protocol/index.js';
import type { MqttLink } from '../sync/mqtt-link.js';
import type { CommandSender, SendOptions } from './commands.js';
import { DataStream } from './data-stream.js';
import { PlanTimeoutError } from './errors.js';

export const PLAN_EVENT_TYPES = ['plan.started', 'plan.step', 'plan.finished', 'plan.aborted'] as const;
export type PlanEventType = (typeof PLAN_EVENT_TYPES)[number];

export interface PlanEvent extends WireEvent {
  type: PlanEventType;
  planId: string;
}

/** `plan.status`'s result: the protocol says "the plan's state and progress"; `state` is what a client relies on. */
export interface PlanStatus {
  planId: string;
  state: string;
  [field: string]: unknown;
}

export type PlanOutcome = 'finished' | 'aborted';

export interface PlanResult {
  planId: string;
  outcome: PlanOutcome;
  /** The `plan.finished` or `plan.aborted` event, when the end was seen as an event. */
  final?: PlanEvent;
  /** The plan's events seen, in order. */
  events: PlanEvent[];
  /** When the plan had already ended as the client started following: what `plan.status` said. */
  status?: PlanStatus;
}

export interface FollowOptions {
  /** Each plan event as it arrives (a progress display). */
  onEvent?: (event: PlanEvent) => void;
  /** Give up following after this long (the plan goes on): PlanTimeoutError. Default: no bound. */
  timeoutMs?: number;
  send?: SendOptions;
}

/** States of `plan.status` after which no event follows. */
const TERMINAL: Record<string, PlanOutcome> = {
  finished: 'finished',
  aborted: 'aborted',
  interrupted: 'aborted',
  failed: 'aborted',
};

export function isPlanEvent(event: WireEvent): event is PlanEvent {
  return (PLAN_EVENT_TYPES as readonly string[]).includes(event.type) && typeof event.planId === 'string';
}

export class Plans {
  constructor(
    private readonly link: MqttLink,
    private readonly commands: CommandSender,
  ) {}

  /** Starts the plan and resolves when it has ended (finished or aborted). */
  async run(address: NodeAddress, plan: unknown, options: FollowOptions = {}): Promise<PlanResult> {
    const follower = await this.follower(address);
    try {
      const { planId } = await this.start(address, plan, options.send);
      return await follower.until(address, planId, options);
    } finally {
      follower.close();
    }
  }

  /** Starts the plan without following it. */
  start(address: NodeAddress, plan: unknown, options?: SendOptions): Promise<{ planId: string }> {
    return this.commands.send<{ planId: string }>(address, 'plan.run', { plan }, options);
  }

  /** Follows a plan already started (perhaps by someone else) to its end. */
  async follow(address: NodeAddress, planId: string, options: FollowOptions = {}): Promise<PlanResult> {
    const follower = await this.follower(address);
    try {
      // Subscribed first, then asked: an end between the two is seen either way.
      const status = await this.status(address, planId, options.send);
      const outcome = TERMINAL[status.state];
      if (outcome) return { planId, outcome, events: follower.seen(planId), status };
      return await follower.until(address, planId, options);
    } finally {
      follower.close();
    }
  }

  abort(address: NodeAddress, planId: string, options?: SendOptions) {
    return this.commands.send<{ planId: string; state: string }>(address, 'plan.abort', { planId }, options);
  }

  status(address: NodeAddress, planId?: string, options?: SendOptions): Promise<PlanStatus> {
    return this.commands.send<PlanStatus>(
      address,
      'plan.status',
      planId === undefined ? undefined : { planId },
      options,
    );
  }

  private async follower(address: NodeAddress): Promise<PlanFollower> {
    const stream = new DataStream(this.link, { nodes: address, telemetry: false, events: true });
    const follower = new PlanFollower(stream);
    await stream.ready;
    return follower;
  }
}

/** Plan events of one node, kept from the subscription on, so none is missed while the planId is not yet known. */
class PlanFollower {
  private readonly events: PlanEvent[] = [];
  private listener: ((event: PlanEvent) => void) | undefined;
  private readonly stop: () => void;

  constructor(private readonly stream: DataStream) {
    this.stop = stream.on('events', ({ events }) => {
      for (const event of events) {
        if (!isPlanEvent(event)) continue;
        this.events.push(event);
        this.listener?.(event);
      }
    });
  }

  seen(planId: string): PlanEvent[] {
    return this.events.filter((e) => e.planId === planId);
  }

  until(address: NodeAddress, planId: string, options: FollowOptions): Promise<PlanResult> {
    return new Promise((resolve, reject) => {
      const mine: PlanEvent[] = [];
      let timer: NodeJS.Timeout | undefined;
      const take = (event: PlanEvent) => {
        if (event.planId !== planId) return false;
        mine.push(event);
        options.onEvent?.(event);
        if (event.type !== 'plan.finished' && event.type !== 'plan.aborted') return false;
        clearTimeout(timer);
        this.listener = undefined;
        resolve({
          planId,
          outcome: event.type === 'plan.finished' ? 'finished' : 'aborted',
          final: event,
          events: mine,
        });
        return true;
      };
      for (const event of this.events) if (take(event)) return;
      this.listener = take;
      if (options.timeoutMs !== undefined)
        timer = setTimeout(() => {
          this.listener = undefined;
          reject(new PlanTimeoutError(address, planId, options.timeoutMs!));
        }, options.timeoutMs);
    });
  }

  close(): void {
    this.listener = undefined;
    this.stop();
    this.stream.close();
  }
}
