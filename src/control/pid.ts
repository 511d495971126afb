/**
 * PID with derivative on the measurement (no kick when the setpoint moves),
 * conditional integration against windup, and an output kept inside the
 * actuator's range and step limit so its writes pass the envelope.
 */
export interface PidParams {
  kp: number;
  ki: number;
  kd: number;
  setpoint: number;
  min: number;
  max: number;
  maxStep?: number;
}

export interface PidState {
  integral: number;
  lastInput?: number;
  lastTMs?: number;
}

export function pidStep(
  params: PidParams,
  state: PidState,
  input: number,
  tMs: number,
  currentOutput: number,
): { state: PidState; output: number } {
  const dtS = state.lastTMs === undefined ? 0 : Math.max(0, (tMs - state.lastTMs) / 1000);
  const error = params.setpoint - input;
  const derivative = dtS > 0 && state.lastInput !== undefined ? -(input - state.lastInput) / dtS : 0;
  let integral = state.integral + error * dtS;
  let raw = params.kp * error + params.ki * integral + params.kd * derivative;
  const saturated = raw > params.max || raw < params.min;
  if (saturated && Math.sign(error) === Math.sign(raw - (raw > params.max ? params.max : params.min))) {
    integral = state.integral;
    raw = params.kp * error + params.ki * integral + params.kd * derivative;
  }
  let output = Math.min(params.max, Math.max(params.min, raw));
  if (params.maxStep !== undefined) {
    output = Math.min(currentOutput + params.maxStep, Math.max(currentOutput - params.maxStep, output));
  }
  return { state: { integral, lastInput: input, lastTMs: tMs }, output };
}

/** On below the band, off above it, unchanged inside (the hysteresis of a thermostat). */
export function onOffStep(setpoint: number, band: number, input: number, currentlyOn: boolean): boolean {
  if (input < setpoint - band / 2) return true;
  if (input > setpoint + band / 2) return false;
  return currentlyOn;
}
