/**
 * The only way to move an actuator. Commands, models, plans and rules call `set`,
 * which checks the envelope and refuses while an interlock holds the output;
 * interlocks and the safe state use `force`, which bypasses step and rate limits
 * (going safe must never be refused) but not the output's own range. Writes to one
 * actuator are serialised so two writers never interleave.
 *
 * A running plan claims its actuators: while claimed, `set` from anyone else
 * (commands, models, rules, local controllers) is `busy`, so nothing fights the
 * experiment. Interlocks and the safe state override a claim as they override
 * everything.
 */
import type { ActuatorEntry } from '../config/schema.js';
import type { ActuatorDriver, ForcedWrite } from '../device-kit/index.js';
import type { EventHub } from '../events/event-hub.js';
import type { ActuatorDescription } from '../protocol/messages.js';
import { checkWrite, type Refusal } from './envelope.js';

export interface WriteSource {
  kind: 'command' | 'model' | 'plan' | 'rule' | 'local' | 'interlock' | 'safety';
  id?: string;
}

/** Who owns an actuator while it is claimed (a running plan). */
export interface ClaimOwner {
  kind: WriteSource['kind'];
  id: string;
}

export type WriteResult =
  | { ok: true; actuator: string; value: number; previous: number }
  | { ok: false; code: Refusal['code'] | 'busy' | 'not_found' | 'failed'; message: string };

/** What the status, `describe` and the birth show of an actuator: the protocol's description. */
export type ActuatorView = ActuatorDescription;

interface ActuatorState {
  entry: ActuatorEntry;
  driver: ActuatorDriver;
  integer: boolean;
  value: number;
  lastWriteMs: number | undefined;
  holders: Map<string, number>;
  owner: ClaimOwner | undefined;
  queue: Promise<unknown>;
}

export class Actuators {
  private readonly states = new Map<string, ActuatorState>();

  constructor(
    private readonly events: EventHub,
    private readonly monoMs: () => number,
  ) {}

  add(entry: ActuatorEntry, driver: ActuatorDriver, integer: boolean): void {
    this.states.set(entry.id, {
      entry,
      driver,
      integer,
      value: entry.envelope.safe,
      lastWriteMs: undefined,
      holders: new Map(),
      owner: undefined,
      queue: Promise.resolve(),
    });
  }

  ids(): string[] {
    return [...this.states.keys()];
  }

  /** Opens every output directly at its safe value: the first thing a start does (a GPIO keeps its level after a crash). */
  async initSafe(): Promise<void> {
    for (const state of this.states.values()) {
      await state.driver.init(state.entry.envelope.safe);
      state.value = state.entry.envelope.safe;
    }
  }

  set(id: string, value: number, source: WriteSource): Promise<WriteResult> {
    const state = this.states.get(id);
    if (!state) return Promise.resolve({ ok: false, code: 'not_found', message: `no actuator "${id}"` });
    return this.serial(state, async () => {
      if (state.holders.size > 0) {
        const holders = [...state.holders.keys()].join(', ');
        return {
          ok: false,
          code: 'busy',
          message: `${id} is held at ${state.value} by interlock ${holders}`,
        };
      }
      const { owner } = state;
      if (owner && !(owner.kind === source.kind && owner.id === source.id))
        return {
          ok: false,
          code: 'busy',
          message: `${id} is owned by ${owner.kind} ${owner.id} while it runs`,
        };
      const since = state.lastWriteMs === undefined ? undefined : this.monoMs() - state.lastWriteMs;
      const refusal = checkWrite(id, state.entry.envelope, state.integer, state.value, value, since);
      if (refusal) return { ok: false, ...refusal };
      return this.apply(state, value, source);
    });
  }

  /**
   * Claims every listed actuator for `owner`, or none: refused with `not_found` for an
   * unknown id, `busy` for one claimed by someone else or held by an interlock.
   */
  claim(
    ids: readonly string[],
    owner: ClaimOwner,
  ): { ok: true } | { ok: false; code: 'busy' | 'not_found'; message: string } {
    for (const id of ids) {
      const state = this.states.get(id);
      if (!state) return { ok: false, code: 'not_found', message: `no actuator "${id}"` };
      if (state.owner && !(state.owner.kind === owner.kind && state.owner.id === owner.id))
        return {
          ok: false,
          code: 'busy',
          message: `${id} is owned by ${state.owner.kind} ${state.owner.id}`,
        };
      if (state.holders.size > 0)
        return {
          ok: false,
          code: 'busy',
          message: `${id} is held by interlock ${[...state.holders.keys()].join(', ')}`,
        };
    }
    for (const id of ids) this.states.get(id)!.owner = owner;
    return { ok: true };
  }

  /** Ends every claim of `owner`: other writers may write again. */
  releaseClaim(owner: ClaimOwner): void {
    for (const state of this.states.values())
      if (state.owner?.kind === owner.kind && state.owner.id === owner.id) state.owner = undefined;
  }

  /**
   * The listed actuators to their safe values, past step and rate limits and past any
   * claim (going safe is never refused), except those an interlock holds: the
   * interlock's forced value stands. One failing output does not stop the others.
   */
  async sendSafe(ids: readonly string[], source: WriteSource): Promise<void> {
    await Promise.allSettled(
      ids.map((id) => {
        const state = this.states.get(id);
        if (!state) return undefined;
        return this.serial(state, async () =>
          state.holders.size > 0 ? undefined : this.apply(state, state.entry.envelope.safe, source),
        );
      }),
    );
  }

  /** Interlocks: hold the output at `value` until `release`; other writers get `busy` meanwhile. */
  hold(id: string, holder: string, value: number): Promise<WriteResult> {
    const state = this.states.get(id)!;
    state.holders.set(holder, value);
    return this.serial(state, () => this.apply(state, value, { kind: 'interlock', id: holder }));
  }

  release(id: string, holder: string): Promise<WriteResult | undefined> {
    const state = this.states.get(id)!;
    state.holders.delete(holder);
    const remaining = [...state.holders.values()].at(-1);
    if (remaining === undefined) return Promise.resolve(undefined);
    return this.serial(state, () => this.apply(state, remaining, { kind: 'interlock' }));
  }

  /** Every actuator to its safe value; one failing output does not stop the others. */
  async goSafe(reason: string): Promise<void> {
    await Promise.allSettled(
      [...this.states.values()].map((state) =>
        this.serial(state, () =>
          this.apply(state, state.entry.envelope.safe, { kind: 'safety', id: reason }),
        ),
      ),
    );
  }

  /** The watchdog's view: what to write, from another thread, to make each output safe. */
  forcedSafeWrites(): Array<{ actuator: string; write: ForcedWrite }> {
    return [...this.states.values()].map((s) => ({
      actuator: s.entry.id,
      write: s.driver.forcedWrite(s.entry.envelope.safe),
    }));
  }

  /** After the watchdog forced the outputs, the bookkeeping follows the hardware. */
  markForcedSafe(): void {
    for (const state of this.states.values()) state.value = state.entry.envelope.safe;
  }

  get(id: string): ActuatorView | undefined {
    const state = this.states.get(id);
    return state && this.view(state);
  }

  list(): ActuatorView[] {
    return [...this.states.values()].map((s) => this.view(s));
  }

  envelope(id: string) {
    return this.states.get(id)?.entry.envelope;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.states.values()].map((s) => s.queue.then(() => s.driver.close())));
  }

  private view(state: ActuatorState): ActuatorView {
    const { id, type, envelope } = state.entry;
    const view: ActuatorView = {
      id,
      type,
      min: envelope.min,
      max: envelope.max,
      safe: envelope.safe,
      value: state.value,
    };
    if (state.holders.size > 0) view.heldBy = [...state.holders.keys()];
    if (state.owner) view.ownedBy = `${state.owner.kind}:${state.owner.id}`;
    return view;
  }

  private async apply(state: ActuatorState, value: number, source: WriteSource): Promise<WriteResult> {
    const previous = state.value;
    try {
      await state.driver.write(value);
    } catch (error) {
      const message = `${state.entry.id}: write failed: ${(error as Error).message}`;
      this.events.emit('actuator.failed', {
        actuator: state.entry.id,
        value,
        error: message,
        source: source.kind,
      });
      return { ok: false, code: 'failed', message };
    }
    state.value = value;
    state.lastWriteMs = this.monoMs();
    if (value !== previous) {
      this.events.emit('actuator.changed', {
        actuator: state.entry.id,
        value,
        previous,
        source: source.kind,
        ...(source.id ? { by: source.id } : {}),
      });
    }
    return { ok: true, actuator: state.entry.id, value, previous };
  }

  private serial<T>(state: ActuatorState, work: () => Promise<T>): Promise<T> {
    const next = state.queue.then(work, work);
    state.queue = next.catch(() => undefined);
    return next;
  }
}
