/**
 * The whole plan is checked before anything moves, and every problem is reported at
 * once, each at its path in the plan document: the structure (plan-schema.ts), then
 * each step against this node — unknown actuators, devices and channels, values
 * outside an envelope, ramps whose steps or rate the envelope refuses, writes closer
 * together than `maxRatePerS` allows, measurements faster than the device samples —
 * and the plan's size. Steps are checked one by one on the raw document, so a step
 * with a structural mistake does not hide the mistakes of the others.
 *
 * Step sizes are checked along the plan from each actuator's value now; a repeated
 * block is walked twice, so the jump from the end of one iteration to the start of
 * the next is checked too. Rates are checked where the plan fixes the time between
 * two writes; after a wait until a condition or a count-bounded measurement that
 * time is unknown, and the gate has the last word at run time.
 *
 * Pure: the node's facts come in as a `PlanInventory`.
 */
import type { z } from 'zod';
import { describeIssue, formatPath } from '../config/describe-issue.js';
import { splitChannelRef } from '../config/ids.js';
import { checkWrite } from '../safety/envelope.js';
import type { ActuatorFacts, PlanInventory } from './plan-inventory.js';
import { PLAN_LIMITS, type Plan, planSchema, type RampStep, type Step, stepSchema } from './plan-schema.js';
import { leafMs, span } from './plan-timeline.js';

export interface PlanIssue {
  /** In the plan document: `steps[3].ramp.to`. */
  path: string;
  message: string;
}

export interface PlanSummary {
  /** Actuators the plan writes: it owns them while it runs. */
  actuators: string[];
  /** Channels it measures or waits on. */
  channels: string[];
  /** Steps executed, repeats expanded. */
  steps: number;
  /** Nominal length (waits until a condition count their timeout). */
  estimatedMs: number;
  /** Rows its measurements record at most. */
  samples: number;
}

export type PlanValidation =
  | { ok: true; plan: Plan; summary: PlanSummary }
  | { ok: false; code: 'invalid_args' | 'forbidden'; issues: PlanIssue[] };

type Path = ReadonlyArray<string | number>;

export function validatePlan(raw: unknown, inventory: PlanInventory): PlanValidation {
  const parsed = planSchema.safeParse(raw);
  const issues = parsed.success ? [] : structuralIssues(parsed.error, raw);
  const check = new StepChecks(inventory);
  const steps = (raw as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps)) check.list(steps, ['steps'], 1);
  if (check.forbidden.length > 0) return { ok: false, code: 'forbidden', issues: check.forbidden };
  issues.push(...check.issues);
  if (!parsed.success || issues.length > 0)
    return { ok: false, code: 'invalid_args', issues: inDocumentOrder(issues) };

  const size = span(parsed.data.steps);
  const limits: Array<[boolean, string]> = [
    [
      size.steps > PLAN_LIMITS.maxExecutedSteps,
      `the plan executes ${size.steps} steps (repeats expanded); at most ${PLAN_LIMITS.maxExecutedSteps}`,
    ],
    [
      size.endMs > PLAN_LIMITS.maxDurationMs,
      `the plan lasts ${size.endMs} ms; at most ${PLAN_LIMITS.maxDurationMs} ms (7 days)`,
    ],
    [
      size.samples > PLAN_LIMITS.maxSamples,
      `the plan's measurements record up to ${size.samples} samples; at most ${PLAN_LIMITS.maxSamples}`,
    ],
  ];
  const tooBig = limits.filter(([over]) => over).map(([, message]) => ({ path: 'steps', message }));
  if (tooBig.length > 0) return { ok: false, code: 'invalid_args', issues: tooBig };
  return {
    ok: true,
    plan: parsed.data,
    summary: {
      actuators: [...check.written],
      channels: [...check.channels],
      steps: size.steps,
      estimatedMs: size.endMs,
      samples: size.samples,
    },
  };
}

/** Step by step as the sender wrote them (a stable sort on the step indices of each path). */
function inDocumentOrder(issues: PlanIssue[]): PlanIssue[] {
  const indices = (path: string) => [...path.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  const compare = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  };
  return [...issues].sort((a, b) => compare(indices(a.path), indices(b.path)));
}

function structuralIssues(error: z.ZodError, raw: unknown): PlanIssue[] {
  const described = error.issues.flatMap((issue) =>
    describeIssue(issue as z.core.$ZodIssue, planSchema, raw).map((d) => ({
      path: formatPath([...d.path, ...(d.key ? [d.key] : [])]),
      at: formatPath(d.path),
      unknownKey: d.key !== undefined,
      message: d.message,
    })),
  );
  // A misspelt kind (`wiat`) is an unknown key; "a step is exactly one of …; found none" would say it twice.
  const misspelt = new Set(described.filter((d) => d.unknownKey).map((d) => d.at));
  return described
    .filter((d) => !(misspelt.has(d.at) && d.message.endsWith('found none')))
    .map(({ path, message }) => ({ path, message }));
}

interface Track {
  value: number;
  /** When the plan last wrote it (ms from the start), when the plan's timing fixes it. */
  at: number | undefined;
}

class StepChecks {
  readonly issues: PlanIssue[] = [];
  readonly forbidden: PlanIssue[] = [];
  readonly written = new Set<string>();
  readonly channels = new Set<string>();
  private readonly tracks = new Map<string, Track>();
  /** ms from the start, as far as the plan fixes it. */
  private elapsed = 0;
  /** Paths reported already: a repeated block walked again adds only what is new (the iteration boundary). */
  private readonly reported = new Set<string>();
  private pass: 'first' | 'again' = 'first';

  constructor(private readonly inventory: PlanInventory) {
    for (const [id, facts] of inventory.actuators) this.tracks.set(id, { value: facts.value, at: undefined });
  }

  list(steps: readonly unknown[], base: Path, depth: number): void {
    for (const [i, raw] of steps.entries()) this.step(raw, [...base, i], depth);
  }

  private step(raw: unknown, path: Path, depth: number): void {
    const repeat = (raw as { repeat?: { times?: unknown; steps?: unknown } } | null)?.repeat;
    if (repeat && typeof repeat === 'object') {
      this.repeat(repeat, [...path, 'repeat'], depth);
      return;
    }
    const parsed = stepSchema.safeParse(raw);
    if (!parsed.success) {
      this.unknownTiming();
      return;
    }
    const step = parsed.data;
    const at = (...rest: Array<string | number>) => [...path, ...Object.keys(step), ...rest];
    if (step.set) this.write(step.set.actuator, step.set.value, at('actuator'), at('value'));
    else if (step.ramp) this.ramp(step.ramp, at());
    else if (step.hold)
      for (const [id, value] of Object.entries(step.hold.values ?? {}))
        this.write(id, value, at('values', id), at('values', id));
    else if (step.wait?.until) this.channel(step.wait.until.channel, at('until', 'channel'));
    else if (step.measure) this.measure(step.measure, at());
    if (step.wait?.until || (step.measure?.count !== undefined && !step.measure.background))
      this.unknownTiming();
    else this.elapsed += leafMs(step);
  }

  private repeat(repeat: { times?: unknown; steps?: unknown }, path: Path, depth: number): void {
    if (depth > PLAN_LIMITS.maxDepth) {
      this.issue(path, `repeats nested ${depth} deep; at most ${PLAN_LIMITS.maxDepth}`);
      return;
    }
    if (!Array.isArray(repeat.steps)) return;
    const steps = repeat.steps;
    const times = typeof repeat.times === 'number' ? repeat.times : 2;
    const base = [...path, 'steps'];
    this.list(steps, base, depth + 1);
    if (times < 2) return;
    const outer = this.pass;
    this.pass = 'again';
    this.list(steps, base, depth + 1);
    this.pass = outer;
    const parsed = stepSchema.array().safeParse(steps);
    if (parsed.success) this.elapsed += (times - 2) * span(parsed.data).sequentialMs;
    else this.unknownTiming();
  }

  private ramp(ramp: RampStep, path: Path): void {
    const facts = this.actuator(ramp.actuator, [...path, 'actuator']);
    if (!facts) return;
    const { envelope } = facts;
    const id = ramp.actuator;
    if (facts.integer) {
      this.issue([...path, 'actuator'], `${id} is an on/off output: it cannot ramp (use set)`);
      return;
    }
    const fromOk = this.write(id, ramp.from, [...path, 'actuator'], [...path, 'from']);
    const toRefusal = checkWrite(id, envelope, false, ramp.to, ramp.to, undefined);
    if (toRefusal) this.issue([...path, 'to'], toRefusal.message);
    if (!fromOk || toRefusal) return;
    const writes = Math.ceil(ramp.durationMs / ramp.stepMs);
    const change = Math.abs(ramp.to - ramp.from);
    if (writes > PLAN_LIMITS.maxRampWrites)
      this.issue(
        [...path, 'stepMs'],
        `${writes} writes; at most ${PLAN_LIMITS.maxRampWrites} per ramp (use a longer stepMs)`,
      );
    else if (envelope.maxStep !== undefined && change / writes > envelope.maxStep + 1e-12)
      this.issue(
        [...path, 'stepMs'],
        `${id}: ${ramp.from} → ${ramp.to} in ${writes} write(s) is a step of ${round(change / writes)} per write, larger than the largest step ${envelope.maxStep}: use stepMs ≤ ${Math.floor((ramp.durationMs * envelope.maxStep) / change)} or a longer durationMs`,
      );
    const ratePerS = change / (ramp.durationMs / 1000);
    if (envelope.maxRatePerS !== undefined && ratePerS > envelope.maxRatePerS + 1e-12)
      this.issue(
        [...path, 'durationMs'],
        `${id}: ${ramp.from} → ${ramp.to} in ${ramp.durationMs} ms is ${round(ratePerS)}/s, above the limit ${envelope.maxRatePerS}/s: use durationMs ≥ ${Math.ceil((change / envelope.maxRatePerS) * 1000)}`,
      );
    this.tracks.set(id, { value: ramp.to, at: this.elapsed + ramp.durationMs });
  }

  /** One write at the current time: the actuator, the value in its envelope, the step and rate from the last write. */
  private write(id: string, value: number, idPath: Path, valuePath: Path): boolean {
    const facts = this.actuator(id, idPath);
    if (!facts) return false;
    const track = this.tracks.get(id)!;
    const since = track.at === undefined ? undefined : this.elapsed - track.at;
    const refusal = checkWrite(id, facts.envelope, facts.integer, track.value, value, since);
    if (refusal) {
      const boundary =
        this.pass === 'again' ? ' (from the end of one iteration to the start of the next)' : '';
      this.issue(valuePath, `${refusal.message}${boundary}`);
      return false;
    }
    this.tracks.set(id, { value, at: this.elapsed });
    return true;
  }

  private actuator(id: string, path: Path): ActuatorFacts | undefined {
    const facts = this.inventory.actuators.get(id);
    if (!facts) {
      const known = [...this.inventory.actuators.keys()].join(', ') || 'none';
      this.issue(path, `no actuator "${id}"; actuators: ${known}`);
      return undefined;
    }
    if (!this.inventory.remoteSet.has(id)) {
      const allowed = [...this.inventory.remoteSet].join(', ') || 'none';
      const key = formatPath(path);
      if (!this.forbidden.some((i) => i.path === key))
        this.forbidden.push({
          path: key,
          message: `"${id}" may not be set remotely on this node (commands.remoteSet: ${allowed})`,
        });
      return undefined;
    }
    this.written.add(id);
    return facts;
  }

  private measure(measure: NonNullable<Step['measure']>, path: Path): void {
    const slow = new Map<string, number>();
    measure.channels.forEach((ref, i) => {
      if (measure.channels.indexOf(ref) !== i) {
        this.issue([...path, 'channels', i], `"${ref}" is listed twice`);
        return;
      }
      const periodMs = this.channel(ref, [...path, 'channels', i]);
      if (periodMs !== undefined && periodMs > measure.periodMs)
        slow.set(splitChannelRef(ref).device, periodMs);
    });
    for (const [device, periodMs] of slow)
      this.issue(
        [...path, 'periodMs'],
        `${measure.periodMs} ms is faster than device "${device}" samples (every ${periodMs} ms): use periodMs ≥ ${periodMs}`,
      );
  }

  /** The device's sampling period when the channel exists. */
  private channel(ref: string, path: Path): number | undefined {
    const { device, channel } = splitChannelRef(ref);
    const facts = this.inventory.devices.get(device);
    if (!facts) {
      const known = [...this.inventory.devices.keys()].join(', ') || 'none';
      this.issue(path, `no device "${device}"; devices: ${known}`);
      return undefined;
    }
    if (!facts.channels.has(channel)) {
      const known = [...facts.channels.keys()].join(', ') || 'none';
      this.issue(
        path,
        `device "${device}" has no channel "${channel}" (or it is disabled); channels: ${known}`,
      );
      return undefined;
    }
    this.channels.add(ref);
    return facts.periodMs;
  }

  /** From here the plan does not fix when writes happen: no rate check reaches back across this point. */
  private unknownTiming(): void {
    for (const track of this.tracks.values()) track.at = undefined;
  }

  private issue(path: Path, message: string): void {
    const key = formatPath(path);
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.issues.push({ path: key, message });
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
