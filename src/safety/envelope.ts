/**
 * The envelope check every actuator write passes: a value outside it is refused
 * with the reason, never clamped (issue #2 §6). Pure: the caller supplies the
 * current value and the time since the last write.
 */
import type { Envelope } from '../config/schema.js';

export interface Refusal {
  code: 'invalid_args' | 'out_of_range';
  message: string;
}

export function checkWrite(
  actuatorId: string,
  envelope: Envelope,
  integer: boolean,
  current: number,
  value: number,
  sinceLastWriteMs: number | undefined,
): Refusal | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { code: 'invalid_args', message: `${actuatorId}: ${String(value)} is not a finite number` };
  }
  if (integer && !Number.isInteger(value)) {
    return {
      code: 'invalid_args',
      message: `${actuatorId}: ${value} is not a whole number (this output is on/off)`,
    };
  }
  if (value < envelope.min || value > envelope.max) {
    return {
      code: 'out_of_range',
      message: `${actuatorId}: ${value} is outside [${envelope.min}, ${envelope.max}]`,
    };
  }
  const step = Math.abs(value - current);
  if (envelope.maxStep !== undefined && step > envelope.maxStep + 1e-12) {
    return {
      code: 'out_of_range',
      message: `${actuatorId}: a step from ${current} to ${value} is larger than the largest step ${envelope.maxStep}`,
    };
  }
  if (envelope.maxRatePerS !== undefined && sinceLastWriteMs !== undefined && step > 0) {
    const ratePerS = step / Math.max(sinceLastWriteMs / 1000, 1e-6);
    if (ratePerS > envelope.maxRatePerS + 1e-12) {
      return {
        code: 'out_of_range',
        message: `${actuatorId}: ${current} → ${value} in ${Math.round(sinceLastWriteMs)} ms is ${round(ratePerS)}/s, above the limit ${envelope.maxRatePerS}/s`,
      };
    }
  }
  return undefined;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
