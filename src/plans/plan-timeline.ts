/**
 * A plan as the sequence of steps it executes (repeats expanded), each with its
 * position: the path of the step in the plan document and, inside repeats, the
 * iteration of each enclosing repeat (1-based). Positions are what events, the
 * status and the state file report, so "where it stopped" points into the document
 * the sender wrote. Also the plan's nominal length and size, for limits and progress.
 */
import { kindOf, type MeasureStep, type Step, type StepKind } from './plan-schema.js';

export interface Position {
  /** `steps[2].repeat.steps[0]` */
  path: string;
  /** The iteration of each enclosing repeat, outermost first; empty outside repeats. */
  iteration: number[];
}

export type LeafKind = Exclude<StepKind, 'repeat'>;

export interface Leaf {
  at: Position;
  kind: LeafKind;
  step: Step;
}

export function* leaves(steps: readonly Step[], base = 'steps', iteration: number[] = []): Generator<Leaf> {
  for (const [i, step] of steps.entries()) {
    const path = `${base}[${i}]`;
    if (step.repeat) {
      for (let n = 1; n <= step.repeat.times; n++)
        yield* leaves(step.repeat.steps, `${path}.repeat.steps`, [...iteration, n]);
    } else yield { at: { path, iteration }, kind: kindOf(step) as LeafKind, step };
  }
}

export function describePosition(at: Position): string {
  return at.iteration.length === 0 ? at.path : `${at.path} (iteration ${at.iteration.join('.')})`;
}

export interface Span {
  /** Executed steps, repeats expanded. */
  steps: number;
  /** How long the steps take one after another, nominally (a wait until a condition counts its timeout). */
  sequentialMs: number;
  /** When the last thing ends, background measurements included, from the start. */
  endMs: number;
  /** Rows the measurements record at most. */
  samples: number;
}

/** How long a measure lasts nominally: its duration, or its count at its period. */
export function measureMs(measure: MeasureStep): number {
  return measure.durationMs ?? measure.count! * measure.periodMs;
}

/** A leaf's nominal time in the sequence (a background measure takes none). */
export function leafMs(step: Step): number {
  if (step.ramp) return step.ramp.durationMs;
  if (step.wait) return step.wait.durationMs ?? step.wait.timeoutMs ?? 0;
  if (step.hold) return step.hold.durationMs;
  if (step.measure) return step.measure.background ? 0 : measureMs(step.measure);
  return 0;
}

function measureSamples(measure: MeasureStep): number {
  const perChannel = measure.count ?? Math.floor(measure.durationMs! / measure.periodMs) + 1;
  return perChannel * measure.channels.length;
}

/** The nominal span of a list of steps, computed without expanding repeats. */
export function span(steps: readonly Step[]): Span {
  const total: Span = { steps: 0, sequentialMs: 0, endMs: 0, samples: 0 };
  for (const step of steps) {
    const start = total.sequentialMs;
    if (step.repeat) {
      const inner = span(step.repeat.steps);
      const { times } = step.repeat;
      total.steps += times * inner.steps;
      total.samples += times * inner.samples;
      total.sequentialMs += times * inner.sequentialMs;
      // The last iteration's background measurements end last.
      total.endMs = Math.max(total.endMs, start + (times - 1) * inner.sequentialMs + inner.endMs);
    } else {
      total.steps += 1;
      total.sequentialMs += leafMs(step);
      const tail = step.measure?.background ? measureMs(step.measure) : 0;
      if (step.measure) total.samples += measureSamples(step.measure);
      total.endMs = Math.max(total.endMs, start + tail);
    }
    total.endMs = Math.max(total.endMs, total.sequentialMs);
  }
  return total;
}
