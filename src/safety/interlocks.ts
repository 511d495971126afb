/**
 * Interlocks watch samples and hold actuators at forced values while tripped,
 * overriding every other writer (issue #2 §6). A trip is latched until its
 * condition clears; on clear the output stays where the interlock left it and is
 * released to the other writers.
 */
import type { InterlockConfig } from '../config/schema.js';
import type { EventHub, Sample } from '../events/event-hub.js';
import type { Actuators } from './actuators.js';
import { describeCondition, type InterlockInput, nextTripped } from './interlock-rule.js';

interface InterlockState {
  rule: InterlockConfig;
  tripped: boolean;
  lastGoodMs: number | undefined;
  reason?: string;
}

export interface InterlockView {
  id: string;
  condition: string;
  tripped: boolean;
  reason?: string;
}

export class Interlocks {
  private readonly states: InterlockState[];
  /** Trips and clears are applied in order, so a fast trip/clear/trip never reorders actuator writes. */
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    rules: readonly InterlockConfig[],
    private readonly actuators: Actuators,
    private readonly events: EventHub,
    private readonly monoMs: () => number,
  ) {
    this.states = rules.map((rule) => ({ rule, tripped: false, lastGoodMs: undefined }));
  }

  onSamples(samples: readonly Sample[]): void {
    for (const sample of samples) {
      const ref = `${sample.d}/${sample.c}`;
      for (const state of this.states) {
        if (state.rule.when.channel !== ref) continue;
        const input: InterlockInput =
          sample.v === null
            ? { kind: 'bad', reason: sample.e ?? 'bad sample' }
            : { kind: 'value', value: sample.v };
        if (input.kind === 'value') state.lastGoodMs = this.monoMs();
        const reason = input.kind === 'bad' ? `bad sample: ${input.reason}` : `${ref} = ${input.value}`;
        this.update(state, nextTripped(state.rule, state.tripped, input), reason);
      }
    }
  }

  /** Fail-safe on silence: a channel with no good sample for `staleAfterMs` trips its interlock. */
  checkStale(): void {
    const now = this.monoMs();
    for (const state of this.states) {
      const limit = state.rule.staleAfterMs;
      if (limit === undefined || state.rule.onBadSample !== 'trip') continue;
      const since = state.lastGoodMs ?? 0;
      if (now - since > limit && !state.tripped) this.update(state, true, `no good sample for ${limit} ms`);
    }
  }

  list(): InterlockView[] {
    return this.states.map((s) => ({
      id: s.rule.id,
      condition: describeCondition(s.rule),
      tripped: s.tripped,
      ...(s.reason && s.tripped ? { reason: s.reason } : {}),
    }));
  }

  /** Resolves when every trip and clear so far has reached the hardware. */
  settled(): Promise<unknown> {
    return this.work;
  }

  private update(state: InterlockState, tripped: boolean, reason: string): void {
    if (tripped === state.tripped) return;
    state.tripped = tripped;
    state.reason = reason;
    const id = state.rule.id;
    const forced = Object.entries(state.rule.force);
    this.work = this.work.then(async () => {
      for (const [actuator, value] of forced) {
        if (tripped) {
          await this.actuators.hold(actuator, id, value);
          this.events.emit('interlock.tripped', { interlock: id, actuator, value, reason });
        } else {
          await this.actuators.release(actuator, id);
          this.events.emit('interlock.cleared', { interlock: id, actuator, reason });
        }
      }
    });
  }
}
