/**
 * The plan document `plan.run` carries: one strict zod schema is the source of the
 * TypeScript types, the structural validation and the published JSON Schema
 * (docs/plan.schema.json, checked against this file by a test). Checks that need the
 * node (actuators, envelopes, channels, sampling periods) are in plan-validate.ts.
 *
 * A step is an object with exactly one key naming its kind. Kinds are optional keys
 * of one strict object rather than a union, so a mistake inside a step is reported
 * at its own path (`steps[3].ramp.to`) and a misspelt kind gets "did you mean", where
 * a union could only say that no alternative matched.
 *
 * No key has a default: the plan the node runs is the plan it received, so its hash
 * is the hash the sender can compute.
 */
import { z } from 'zod';
import { channelRefSchema, itemIdSchema } from '../config/ids.js';

export const PLAN_LIMITS = {
  /** Longest plan, and longest single duration: a week. */
  maxDurationMs: 7 * 24 * 3_600_000,
  /** Steps in one list (the plan's, or a repeat's). */
  maxListSteps: 1000,
  /** Repeats inside repeats. */
  maxDepth: 4,
  /** Steps executed, repeats expanded: bounds events, state writes and the status's arithmetic. */
  maxExecutedSteps: 100_000,
  /** Writes of one ramp. */
  maxRampWrites: 100_000,
  /** Rows a plan's measurements may record (estimated from periods and durations). */
  maxSamples: 5_000_000,
  /** Shortest interval between ramp writes and measured samples (the shortest sampling period of a device). */
  minPeriodMs: 10,
} as const;

const STEP_KINDS = ['set', 'ramp', 'wait', 'hold', 'measure', 'repeat'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

const durationMs = z.int().min(0).max(PLAN_LIMITS.maxDurationMs);
const positiveMs = z.int().min(1).max(PLAN_LIMITS.maxDurationMs);
const periodMs = z.int().min(PLAN_LIMITS.minPeriodMs).max(PLAN_LIMITS.maxDurationMs);
const value = z.number();

/** Reports an issue when not exactly one of `keys` is present (zod runs this only on an object without other issues). */
function exactlyOne<T extends object>(keys: readonly (keyof T & string)[], what: string) {
  return (data: T, ctx: z.RefinementCtx) => {
    const present = keys.filter((k) => (data as Record<string, unknown>)[k] !== undefined);
    if (present.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `${what} exactly one of ${keys.join(', ')}; found ${present.length === 0 ? 'none' : present.join(', ')}`,
      });
  };
}

export const setStepSchema = z
  .strictObject({ actuator: itemIdSchema, value })
  .describe('Write one value to an actuator, through the safety gate.');

export const rampStepSchema = z
  .strictObject({
    actuator: itemIdSchema,
    from: value,
    to: value,
    durationMs: positiveMs,
    stepMs: periodMs.describe(
      'The longest interval between writes: the ramp writes ⌈durationMs/stepMs⌉ + 1 times, evenly spaced, from `from` to `to`.',
    ),
  })
  .describe('Move an actuator from `from` to `to` in even steps over durationMs.');

export const conditionSchema = z
  .strictObject({
    channel: channelRefSchema,
    above: value.optional(),
    below: value.optional(),
    equals: value.optional(),
  })
  .superRefine(exactlyOne(['above', 'below', 'equals'], 'a condition has'))
  .meta({
    description: 'Holds when a good sample of the channel is above, below or equal to the value.',
    oneOf: [{ required: ['above'] }, { required: ['below'] }, { required: ['equals'] }],
  });

export const waitStepSchema = z
  .strictObject({
    durationMs: durationMs.optional(),
    until: conditionSchema.optional(),
    timeoutMs: positiveMs.optional().describe('With `until`: the longest wait.'),
    onTimeout: z
      .enum(['abort', 'continue'])
      .optional()
      .describe(
        'With `until`: `abort` (the default) ends the plan at the timeout, aborted; `continue` goes on.',
      ),
  })
  .superRefine((wait, ctx) => {
    exactlyOne<typeof wait>(['durationMs', 'until'], 'a wait has')(wait, ctx);
    if (wait.until !== undefined && wait.timeoutMs === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['timeoutMs'],
        message: 'missing; a wait until a condition needs one',
      });
    if (wait.until === undefined && (wait.timeoutMs !== undefined || wait.onTimeout !== undefined))
      ctx.addIssue({ code: 'custom', message: 'timeoutMs and onTimeout belong to a wait until a condition' });
  })
  .meta({
    description: 'Wait durationMs, or until a condition on a channel holds (at most timeoutMs).',
    oneOf: [
      {
        required: ['durationMs'],
        not: { anyOf: [{ required: ['timeoutMs'] }, { required: ['onTimeout'] }] },
      },
      { required: ['until', 'timeoutMs'] },
    ],
  });

export const holdStepSchema = z
  .strictObject({
    durationMs,
    values: z
      .record(itemIdSchema, value)
      .optional()
      .describe("Actuator id → value, written at the start of the hold; the plan's other actuators stay."),
  })
  .describe("Keep the plan's actuators where they are (after writing `values`, if any) for durationMs.");

export const measureStepSchema = z
  .strictObject({
    channels: z.array(channelRefSchema).min(1).max(32),
    periodMs: periodMs.describe(
      "One sample per channel per period (slots on a grid from the step's start); not faster than the device's periodMs.",
    ),
    durationMs: positiveMs.optional(),
    count: z
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('Samples per channel: the measurement ends when every channel has this many.'),
    background: z
      .boolean()
      .optional()
      .describe('true: the next steps start at once and run beside the measurement; the plan ends after it.'),
  })
  .superRefine(exactlyOne(['durationMs', 'count'], 'a measure has'))
  .meta({
    description:
      "Record channels into the plan's dataset, for durationMs or until each channel has `count` samples.",
    oneOf: [{ required: ['durationMs'] }, { required: ['count'] }],
  });

export interface RepeatStep {
  times: number;
  steps: Step[];
}

export interface Step {
  set?: z.output<typeof setStepSchema>;
  ramp?: z.output<typeof rampStepSchema>;
  wait?: z.output<typeof waitStepSchema>;
  hold?: z.output<typeof holdStepSchema>;
  measure?: z.output<typeof measureStepSchema>;
  repeat?: RepeatStep;
}

const stepList = (): z.ZodType<Step[]> => z.array(stepSchema).min(1).max(PLAN_LIMITS.maxListSteps);

export const repeatStepSchema: z.ZodType<RepeatStep> = z
  .strictObject({
    times: z.int().min(1).max(PLAN_LIMITS.maxExecutedSteps),
    get steps() {
      return stepList();
    },
  })
  .describe(`Run a block of steps \`times\` times (repeats nest at most ${PLAN_LIMITS.maxDepth} deep).`);

export const stepSchema: z.ZodType<Step> = z
  .strictObject({
    set: setStepSchema.optional(),
    ramp: rampStepSchema.optional(),
    wait: waitStepSchema.optional(),
    hold: holdStepSchema.optional(),
    measure: measureStepSchema.optional(),
    get repeat() {
      return repeatStepSchema.optional();
    },
  })
  .superRefine(exactlyOne<Step>(STEP_KINDS, 'a step is'))
  .meta({
    id: 'step',
    description: 'One step: an object with exactly one key, its kind.',
    minProperties: 1,
    maxProperties: 1,
  });

export const planSchema = z.strictObject({
  name: z.string().min(1).max(200).optional().describe('For people: in events, status and the provenance.'),
  steps: stepList(),
  onFinish: z
    .enum(['safe', 'keep'])
    .optional()
    .describe(
      "After the last step: `safe` (the default) sends the plan's actuators to their safe values; `keep` leaves them where the plan left them.",
    ),
});

export type Plan = z.output<typeof planSchema>;
export type SetStep = z.output<typeof setStepSchema>;
export type RampStep = z.output<typeof rampStepSchema>;
export type WaitStep = z.output<typeof waitStepSchema>;
export type HoldStep = z.output<typeof holdStepSchema>;
export type MeasureStep = z.output<typeof measureStepSchema>;
export type Condition = z.output<typeof conditionSchema>;

/** The kind of a step that passed the schema (exactly one key is set). */
export function kindOf(step: Step): StepKind {
  return STEP_KINDS.find((k) => step[k] !== undefined)!;
}

/** The published JSON Schema (draft 2020-12): docs/plan.schema.json is this, byte for byte. */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(planSchema, { io: 'input' });
  return {
    $schema: schema.$schema,
    title: 'benchloop experiment plan (the `plan` argument of the plan.run command)',
    ...schema,
  };
}
