/**
 * The `models:` section (docs/inference.md): ONNX models run on the node, what each
 * one reads (windows of channels resampled on a fixed period, scaled as stated
 * here, inside a declared valid range) and what each output drives (an event with
 * hysteresis, an actuator through the safety gate, or a derived channel). The
 * config describes a model's inputs and outputs; the model file itself comes from
 * the registry (a deployed version) or from `file` (the version shipped with the
 * config), and every version is checked against this description before it runs.
 */
import { z } from 'zod';
import type { PathIssue } from './cross-check.js';
import { channelRefSchema, itemIdSchema } from './ids.js';

const finite = z.number().refine(Number.isFinite, { error: 'a finite number' });

/** [min, max], both included. */
const rangeSchema = z
  .tuple([finite, finite])
  .refine(([min, max]) => min <= max, { error: 'the first bound must not be above the second' });

const featureSource = {
  /** How many values the window holds, oldest first; one per `everyMs` of the model (zero-order hold). */
  window: z.number().int().min(1).max(4096).default(1),
  /** Inputs outside this range (raw, before scaling) make the model's outputs fall back: the model was not made for them. */
  valid: rangeSchema,
  /** The value fed to the model is (x − subtract) / divide. */
  scale: z
    .strictObject({
      subtract: finite.default(0),
      divide: finite.refine((d) => d !== 0, { error: 'divide must not be 0' }).default(1),
    })
    .default({ subtract: 0, divide: 1 }),
};

const featureSchema = z.union([
  z.strictObject({
    channel: channelRefSchema,
    ...featureSource,
    /** A window slot with no good sample this recent is missing data: the outputs fall back. */
    maxAgeMs: z.number().int().positive().default(5000),
  }),
  /** An actuator's value as the safety gate holds it (e.g. the heater's duty, beside the temperature it causes). */
  z.strictObject({ actuator: itemIdSchema, ...featureSource }),
]);

const elementType = z.enum(['float32', 'float64', 'int64', 'int32']);

const inputSchema = z.strictObject({
  /** The ONNX graph input's name. */
  name: z.string().min(1),
  type: elementType.default('float32'),
  /** Shape of the tensor; each feature's window is laid out in order, oldest first, and must fill it exactly. */
  shape: z.array(z.number().int().positive()).min(1).max(8),
  features: z.array(featureSchema).min(1),
});

const outputScale = z
  .strictObject({ multiply: finite.default(1), add: finite.default(0) })
  .default({ multiply: 1, add: 0 });

const fallbackSchema = z.union([
  z.literal('safe'),
  z.strictObject({ value: finite }),
  z.strictObject({
    rule: z.discriminatedUnion('type', [
      z.strictObject({
        type: z.literal('on-off'),
        input: channelRefSchema,
        setpoint: finite,
        band: z.number().min(0),
        onValue: finite.default(1),
        offValue: finite.default(0),
      }),
      z.strictObject({
        type: z.literal('pid'),
        input: channelRefSchema,
        setpoint: finite,
        kp: finite,
        ki: finite.default(0),
        kd: finite.default(0),
      }),
    ]),
  }),
]);

const driveSchema = z.union([
  z
    .strictObject({
      /** Raised when the value reaches `above` (or falls to `below`); cleared only past the limit by `hysteresis`. */
      event: itemIdSchema,
      above: finite.optional(),
      below: finite.optional(),
      hysteresis: z.number().min(0).default(0),
    })
    .refine((d) => (d.above === undefined) !== (d.below === undefined), {
      error: 'exactly one of above or below',
    }),
  z.strictObject({
    /** Written through the safety gate: envelope and interlocks apply as to any writer. */
    actuator: itemIdSchema,
    scale: outputScale,
    /** What drives the actuator while the model cannot: bad inputs, an error, a timeout, no model. */
    fallback: fallbackSchema.default('safe'),
  }),
  /** Published as telemetry: a sample of device `<model name>`, channel `channel`. */
  z.strictObject({ channel: itemIdSchema, unit: z.string().min(1).default('1'), scale: outputScale }),
]);

const outputSchema = z.strictObject({
  /** The ONNX graph output's name. */
  name: z.string().min(1),
  type: elementType.default('float32'),
  /** Checked at load when given; -1 leaves a dimension free. */
  shape: z.array(z.number().int().min(-1)).max(8).optional(),
  /** Element of the output tensor, in row-major order (a classifier's probability of class 1 is element 1). */
  index: z.number().int().min(0).default(0),
  /** A raw output outside this range is treated as an inference error (the outputs fall back). */
  valid: rangeSchema.optional(),
  drive: driveSchema,
});

export const MODEL_DEFAULTS = {
  timeoutMs: 250,
  chunkSize: 128 * 1024,
  maxBytes: 16 * 1024 * 1024,
  expireAfterS: 300,
};

const modelSchema = z.strictObject({
  /** The protocol's model `name`: `model.begin` and the birth use it; it also names the derived channels' device. */
  name: itemIdSchema,
  /** The version shipped with the config, installed when the registry holds none. Relative to the config file. */
  file: z.string().min(1).optional(),
  /** The version label of `file`. */
  version: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'a version of 1–64 letters, digits, "_", "." or "-"' })
    .default('1'),
  /** One decision per period; also the resampling period of the input windows. */
  everyMs: z.number().int().min(10).max(3_600_000).default(1000),
  /** A decision not back by then is a timeout: the outputs fall back. */
  timeoutMs: z.number().int().min(1).max(60_000).optional(),
  inputs: z.array(inputSchema).min(1),
  outputs: z.array(outputSchema).min(1),
});

const transfersSchema = z.strictObject({
  /** The largest chunk `model.begin` asks for (the protocol's default, 128 KiB, suits brokers with small message limits). */
  chunkSize: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(MODEL_DEFAULTS.chunkSize),
  /** A model file larger than this is refused at `model.begin`. */
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(MODEL_DEFAULTS.maxBytes),
  /** A transfer not committed this long after its last chunk (or its begin) is dropped. */
  expireAfterS: z.number().int().min(1).max(86_400).default(MODEL_DEFAULTS.expireAfterS),
});

export const modelsConfigSchema = z.strictObject({
  /** Intra-op threads per session: 1 runs each inference on the inference thread alone (no pool, nothing spinning). */
  threads: z.number().int().min(1).max(64).default(1),
  /** Default per-decision timeout. */
  timeoutMs: z.number().int().min(1).max(60_000).default(MODEL_DEFAULTS.timeoutMs),
  transfers: transfersSchema.default(transfersSchema.parse({})),
  list: z.array(modelSchema).default([]),
});

export type ModelsConfig = z.output<typeof modelsConfigSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type ModelInputConfig = z.output<typeof inputSchema>;
export type ModelOutputConfig = z.output<typeof outputSchema>;
export type FeatureConfig = z.output<typeof featureSchema>;
export type DriveConfig = z.output<typeof driveSchema>;
export type FallbackConfig = z.output<typeof fallbackSchema>;
export type ElementType = z.output<typeof elementType>;

type Loose = Record<string, unknown>;
const list = (value: unknown): Loose[] =>
  Array.isArray(value) ? value.map((v) => (v !== null && typeof v === 'object' ? (v as Loose) : {})) : [];
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Checks of `models:` against the rest of the file (called from cross-check.ts):
 * names unique, channels and actuators exist, window sizes fill the declared shape,
 * and no actuator is driven by both a model and a controller or by two models.
 * Defensive like the other cross-checks, so it runs on a file that failed the schema.
 */
export function modelsCrossCheck(
  root: Loose,
  channelProblem: (ref: string | undefined) => string | undefined,
  actuators: ReadonlyMap<string, { min?: number; max?: number }>,
): PathIssue[] {
  const actuatorIds = new Set(actuators.keys());
  const issues: PathIssue[] = [];
  const models = list((root.models as Loose | undefined)?.list);
  const names = new Map<string, number>();
  const driven = new Map<string, string>();
  for (const controller of list(root.controllers)) {
    const output = text(controller.output);
    if (output) driven.set(output, `controller "${text(controller.id)}"`);
  }
  const actuatorProblem = (id: string | undefined) =>
    id === undefined || actuatorIds.has(id)
      ? undefined
      : `no actuator "${id}"; actuators: ${[...actuatorIds].join(', ') || 'none'}`;
  models.forEach((model, m) => {
    const at = (...path: (string | number)[]) => ['models', 'list', m, ...path];
    const name = text(model.name);
    if (name !== undefined) {
      if (names.has(name))
        issues.push({
          path: at('name'),
          message: `"${name}" is already the name of models.list[${names.get(name)}]`,
        });
      else names.set(name, m);
    }
    list(model.inputs).forEach((input, i) => {
      let slots = 0;
      list(input.features).forEach((feature, f) => {
        slots += typeof feature.window === 'number' ? feature.window : 1;
        const channel = channelProblem(text(feature.channel));
        if (channel) issues.push({ path: at('inputs', i, 'features', f, 'channel'), message: channel });
        const actuator = actuatorProblem(text(feature.actuator));
        if (actuator) issues.push({ path: at('inputs', i, 'features', f, 'actuator'), message: actuator });
      });
      const shape = Array.isArray(input.shape) ? (input.shape as unknown[]) : undefined;
      if (shape?.every((d) => typeof d === 'number')) {
        const size = (shape as number[]).reduce((a, b) => a * b, 1);
        if (size !== slots)
          issues.push({
            path: at('inputs', i, 'shape'),
            message: `[${shape.join(', ')}] holds ${size} values, but the features' windows give ${slots}`,
          });
      }
    });
    list(model.outputs).forEach((output, o) => {
      const drive = (output.drive ?? {}) as Loose;
      const actuator = text(drive.actuator);
      const problem = actuatorProblem(actuator);
      if (problem) issues.push({ path: at('outputs', o, 'drive', 'actuator'), message: problem });
      else if (actuator !== undefined) {
        const other = driven.get(actuator);
        if (other)
          issues.push({
            path: at('outputs', o, 'drive', 'actuator'),
            message: `"${actuator}" is already driven by ${other}`,
          });
        else driven.set(actuator, `model "${name}"`);
      }
      // A fixed fallback is a value like any other: outside the envelope it is refused here, not clamped later.
      const fixed = ((drive.fallback ?? {}) as Loose).value;
      const envelope = actuator === undefined ? undefined : actuators.get(actuator);
      if (
        typeof fixed === 'number' &&
        envelope &&
        (fixed < (envelope.min ?? fixed) || fixed > (envelope.max ?? fixed))
      )
        issues.push({
          path: at('outputs', o, 'drive', 'fallback', 'value'),
          message: `found ${fixed}; ${actuator} takes [${envelope.min}, ${envelope.max}]`,
        });
      const rule = ((drive.fallback ?? {}) as Loose).rule as Loose | undefined;
      const ruleInput = channelProblem(text(rule?.input));
      if (ruleInput)
        issues.push({ path: at('outputs', o, 'drive', 'fallback', 'rule', 'input'), message: ruleInput });
    });
  });
  return issues;
}
