/**
 * Local control rules (`controllers:` in config): each turns samples of one channel
 * into writes to one actuator, through the same safety gate as any other writer.
 * While an interlock holds the output, the rule's writes are refused and its
 * integral is reset, so it resumes without a kick.
 */
import type { ControllerConfig } from '../config/schema.js';
import type { Sample } from '../events/event-hub.js';
import type { Actuators } from '../safety/actuators.js';
import { onOffStep, type PidState, pidStep } from './pid.js';

interface ControllerState {
  config: ControllerConfig;
  pid: PidState;
  busy: boolean;
}

export class Controllers {
  private readonly states: ControllerState[];

  constructor(
    configs: readonly ControllerConfig[],
    private readonly actuators: Actuators,
  ) {
    this.states = configs.map((config) => ({ config, pid: { integral: 0 }, busy: false }));
  }

  onSamples(samples: readonly Sample[]): void {
    for (const sample of samples) {
      if (sample.v === null) continue;
      const ref = `${sample.d}/${sample.c}`;
      for (const state of this.states) {
        if (state.config.input === ref && !state.busy) this.step(state, sample.v, sample.t);
      }
    }
  }

  private step(state: ControllerState, input: number, tMs: number): void {
    const { config } = state;
    const actuator = this.actuators.get(config.output);
    const envelope = this.actuators.envelope(config.output);
    if (!actuator || !envelope) return;
    if (actuator.heldBy) {
      state.pid = { integral: 0 };
      return;
    }
    let value: number;
    if (config.type === 'pid') {
      const next = pidStep(
        { ...config, min: envelope.min, max: envelope.max, maxStep: envelope.maxStep },
        state.pid,
        input,
        tMs,
        actuator.value,
      );
      state.pid = next.state;
      value = next.output;
    } else {
      const on = onOffStep(config.setpoint, config.band, input, actuator.value === config.onValue);
      value = on ? config.onValue : config.offValue;
    }
    if (value === actuator.value) return;
    state.busy = true;
    void this.actuators.set(config.output, value, { kind: 'rule', id: config.id }).then((result) => {
      state.busy = false;
      if (!result.ok) state.pid = { integral: 0 };
    });
  }
}
