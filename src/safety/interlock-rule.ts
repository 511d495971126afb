/**
 * An interlock's condition as a pure state machine: trips when the channel crosses
 * its limit (or goes bad, when fail-safe), clears only once back inside by the
 * hysteresis, and stays latched in between.
 */
import type { InterlockConfig } from '../config/schema.js';

export type InterlockInput = { kind: 'value'; value: number } | { kind: 'bad'; reason: string };

export function nextTripped(rule: InterlockConfig, tripped: boolean, input: InterlockInput): boolean {
  if (input.kind === 'bad') return rule.onBadSample === 'trip' ? true : tripped;
  const { above, below, equals } = rule.when;
  const v = input.value;
  if (above !== undefined) return tripped ? v > above - rule.hysteresis : v > above;
  if (below !== undefined) return tripped ? v < below + rule.hysteresis : v < below;
  return v === equals;
}

export function describeCondition(rule: InterlockConfig): string {
  const { channel, above, below, equals } = rule.when;
  if (above !== undefined) return `${channel} > ${above}`;
  if (below !== undefined) return `${channel} < ${below}`;
  return `${channel} = ${equals}`;
}
