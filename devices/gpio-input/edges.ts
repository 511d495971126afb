/** Which edges a setting takes in, and the pulse rate counted edges give. */
import type { Edge, Level } from '../../src/device-kit/index.js';

/** A delivered edge ends at the new level: 1 after a rising edge, 0 after a falling one. */
export function edgeIncludes(edge: Edge, level: Level): boolean {
  return edge === 'both' || edge === (level === 1 ? 'rising' : 'falling');
}

/** The edges the line must be watched for so that both settings see theirs. */
export function unionEdge(a: Edge, b: Edge): Edge {
  const rising = edgeIncludes(a, 1) || edgeIncludes(b, 1);
  const falling = edgeIncludes(a, 0) || edgeIncludes(b, 0);
  if (rising && falling) return 'both';
  if (rising) return 'rising';
  return falling ? 'falling' : 'none';
}

/** A pulse has one rising and one falling edge; counting both sees each pulse twice. */
export const edgesPerPulse = (countEdge: Edge): number => (countEdge === 'both' ? 2 : 1);

/**
 * Pulses per second over the interval (fromMs, toMs], from the timestamps of the edges
 * not yet reported. Backends stamp an edge when its level began, and deliver it once
 * debounced, up to debounceMs later; an edge stamped at or before `fromMs` therefore
 * arrived after the previous read and is counted now rather than lost. Edges stamped
 * after `toMs` are left for the next interval.
 */
export function pulseRateHz(
  edgeTimesMs: readonly number[],
  fromMs: number,
  toMs: number,
  perPulse = 1,
): number {
  if (!(toMs > fromMs)) return 0;
  const edges = edgeTimesMs.filter((t) => t <= toMs).length;
  return edges / perPulse / ((toMs - fromMs) / 1000);
}
