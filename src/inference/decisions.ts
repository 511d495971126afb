/**
 * From a model's output tensors to what they drive, as pure functions: picking the
 * configured element, checking it, scaling it, thresholds with hysteresis, keeping
 * an actuator request inside the envelope the gate will check, and the fallback
 * that drives the actuator while the model cannot.
 */
import type { Envelope } from '../config/schema.js';
import { onOffStep, type PidState, pidStep } from '../control/pid.js';

/** One output as the inference thread returns it. */
export interface OutputTensor {
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint>;
}

/** The element at `index` as a number, or a problem naming the output. */
export function outputElement(
  name: string,
  tensor: OutputTensor | undefined,
  index: number,
  valid?: readonly [number, number],
): { ok: true; value: number } | { ok: false; message: string } {
  if (!tensor) return { ok: false, message: `output ${name}: missing from the result` };
  if (index >= tensor.data.length)
    return { ok: false, message: `output ${name}: no element ${index} (it holds ${tensor.data.length})` };
  const raw = Number(tensor.data[index]!);
  // A float32 0.3 is 0.30000001192092896 as a double: keep the digits float32 holds, so a model asking for 0.3 sets 0.3.
  const value = tensor.type === 'float32' && Number.isFinite(raw) ? Number(raw.toPrecision(7)) : raw;
  if (!Number.isFinite(value)) return { ok: false, message: `output ${name}[${index}]: ${value}` };
  if (valid && !(value >= valid[0] && value <= valid[1]))
    return {
      ok: false,
      message: `output ${name}[${index}]: ${value} is outside its valid range [${valid[0]}, ${valid[1]}]`,
    };
  return { ok: true, value };
}

export function scaleOutput(raw: number, scale: { multiply: number; add: number }): number {
  return raw * scale.multiply + scale.add;
}

export interface Threshold {
  above?: number;
  below?: number;
  hysteresis: number;
}

/** Raised at the limit; cleared only once back past it by the hysteresis, so a score on the edge does not chatter. */
export function thresholdStep(raised: boolean, value: number, threshold: Threshold): boolean {
  const { above, below, hysteresis } = threshold;
  if (above !== undefined) return raised ? value > above - hysteresis : value >= above;
  if (below !== undefined) return raised ? value < below + hysteresis : value <= below;
  return false;
}

/**
 * A model's request kept inside the actuator's range and step limit, as the PID rule
 * does, so a model asking for full power from zero ramps instead of being refused at
 * every decision. The gate still checks every write; this is not a safety layer.
 */
export function withinEnvelope(value: number, current: number, envelope: Envelope): number {
  let limited = Math.min(envelope.max, Math.max(envelope.min, value));
  if (envelope.maxStep !== undefined)
    limited = Math.min(current + envelope.maxStep, Math.max(current - envelope.maxStep, limited));
  return limited;
}

export type Fallback =
  | 'safe'
  | { value: number }
  | {
      rule:
        | { type: 'on-off'; input: string; setpoint: number; band: number; onValue: number; offValue: number }
        | { type: 'pid'; input: string; setpoint: number; kp: number; ki: number; kd: number };
    };

/**
 * What the fallback writes now. A rule steps on its input's latest good value; with
 * none (the sensor itself is what failed) it goes to the safe value.
 */
export function fallbackStep(
  fallback: Fallback,
  envelope: Envelope,
  current: number,
  input: { v: number; t: number } | undefined,
  pid: PidState,
): { value: number; pid: PidState; via: string } {
  if (fallback === 'safe') return { value: envelope.safe, pid, via: 'safe value' };
  if ('value' in fallback) return { value: fallback.value, pid, via: `fixed value ${fallback.value}` };
  const { rule } = fallback;
  if (!input)
    return { value: envelope.safe, pid: { integral: 0 }, via: `safe value (no good ${rule.input})` };
  if (rule.type === 'on-off') {
    const on = onOffStep(rule.setpoint, rule.band, input.v, current === rule.onValue);
    return { value: on ? rule.onValue : rule.offValue, pid, via: `on-off rule on ${rule.input}` };
  }
  const next = pidStep(
    { ...rule, min: envelope.min, max: envelope.max, maxStep: envelope.maxStep },
    pid,
    input.v,
    input.t,
    current,
  );
  return { value: next.output, pid: next.state, via: `pid rule on ${rule.input}` };
}
