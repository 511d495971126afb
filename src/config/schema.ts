/**
 * The node configuration: one YAML file per node. One zod schema is the source of
 * the TypeScript types, the validation and the JSON Schema (`benchloop schema`).
 * Every object is strict: a misspelt key is an error, never silently ignored.
 * A section added by a later feature is one more key here.
 */
import { z } from 'zod';
import type { DeviceDefinition } from '../device-kit/index.js';
import { commandsConfigSchema } from './commands-schema.js';
import { actuatorEntrySchema, deviceEntrySchema, type envelopeSchema } from './device-schema.js';
import { channelRefSchema, itemIdSchema, nodeIdSchema } from './ids.js';
import { modelsConfigSchema } from './models-schema.js';
import { linkConfigSchema } from './mqtt-schema.js';
import { outboxConfigSchema } from './outbox-schema.js';
import type { ChannelSettings } from './pipeline-schema.js';
import { configApplySchema } from './remote-schema.js';
import { webConfigSchema } from './web-schema.js';

const nodeSchema = z.strictObject({
  id: nodeIdSchema,
  site: nodeIdSchema,
  description: z.string().optional(),
});

const incubatorSchema = z.strictObject({
  /** Device id of the chamber's climate sensor (its simulator gets the chamber's air). */
  ambientC: z.number().default(21),
  /** Heater power at full duty. */
  heaterW: z.number().positive().default(40),
  /** Thermal capacity of chamber air and walls, J/K: with the loss below it sets the time constant. */
  heatCapacityJPerK: z.number().positive().default(300),
  /** Heat loss to the room, W/K, with the door shut; an open door multiplies it. */
  lossWPerK: z.number().positive().default(1.6),
  doorOpenLossFactor: z.number().min(1).default(12),
  /** Standard deviation of the sensor-visible temperature noise. */
  noiseC: z.number().min(0).default(0.02),
  heaterPin: z.number().int().min(0).max(63).default(18),
  doorPin: z.number().int().min(0).max(63).default(17),
  /** Demo door openings: every `everyS` seconds for `openS` seconds (0: never). */
  doorCycle: z
    .strictObject({ everyS: z.number().min(0).default(0), openS: z.number().min(0).default(20) })
    .default({
      everyS: 0,
      openS: 20,
    }),
  humidityPct: z.number().min(0).max(100).default(45),
  pressurePa: z.number().positive().default(101_325),
});

const hardwareSchema = z.strictObject({
  backend: z.enum(['sim', 'real']),
  /** Real backend: GPIO through onoff (sysfs) or pigpio (not on a Raspberry Pi 5). */
  gpio: z.enum(['onoff', 'pigpio']).default('onoff'),
  /** Real backend: PWM through the kernel's sysfs PWM, or pigpio. */
  pwm: z.enum(['sysfs', 'pigpio']).default('sysfs'),
  /** Label of the gpiochip that carries the header's pins, when not a known Raspberry Pi chip. */
  gpioChipLabel: z.string().optional(),
  sysfsRoot: z.string().default('/sys'),
  /** Where a pin's hardware PWM lives when the built-in Raspberry Pi table does not say: BCM pin → pwmchip (device name, sysfs path part or pwmchipN) and channel. */
  pwmPins: z
    .record(
      z.string().regex(/^\d+$/, { error: 'a BCM pin number' }),
      z.strictObject({ chip: z.string().min(1), channel: z.number().int().min(0) }),
    )
    .optional(),
  /** pigpio's sampling period, which bounds its edge timing resolution (pigpio gpioCfgClock). */
  pigpioSampleRateUs: z.union([1, 2, 4, 5, 8, 10].map((n) => z.literal(n))).default(5),
  sim: z
    .strictObject({
      bench: z.enum(['incubator', 'none']).default('incubator'),
      seed: z.number().int().default(1),
      incubator: incubatorSchema.default(incubatorSchema.parse({})),
    })
    .default({ bench: 'incubator', seed: 1, incubator: incubatorSchema.parse({}) }),
});

const interlockSchema = z.strictObject({
  id: itemIdSchema,
  when: z
    .strictObject({
      channel: channelRefSchema,
      above: z.number().optional(),
      below: z.number().optional(),
      equals: z.number().optional(),
    })
    .refine((w) => [w.above, w.below, w.equals].filter((v) => v !== undefined).length === 1, {
      error: 'exactly one of above, below or equals',
    }),
  /** The condition clears only this far back inside the limit, so a value on the edge does not chatter. */
  hysteresis: z.number().min(0).default(0),
  /** Actuator id → the value forced while tripped. */
  force: z.record(z.string(), z.number()),
  /** A bad sample of the channel, or none for `staleAfterMs`, trips the interlock (fail-safe) unless `hold`. */
  onBadSample: z.enum(['trip', 'hold']).default('trip'),
  staleAfterMs: z.number().int().positive().optional(),
});

const controllerBase = {
  id: itemIdSchema,
  input: channelRefSchema,
  output: itemIdSchema,
  setpoint: z.number(),
};

const controllerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('pid'),
    ...controllerBase,
    kp: z.number(),
    ki: z.number().default(0),
    kd: z.number().default(0),
  }),
  z.strictObject({
    type: z.literal('on-off'),
    ...controllerBase,
    /** On below setpoint − band/2, off above setpoint + band/2. */
    band: z.number().min(0),
    onValue: z.number().default(1),
    offValue: z.number().default(0),
  }),
]);

const safetySchema = z.strictObject({
  watchdog: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A main loop silent this long is stalled: the watchdog thread forces every actuator safe. */
      timeoutMs: z.number().int().min(100).default(2000),
    })
    .default({ enabled: true, timeoutMs: 2000 }),
});

const schedulerSchema = z.strictObject({
  retry: z
    .strictObject({
      initialMs: z.number().int().positive().default(500),
      maxMs: z.number().int().positive().default(30_000),
    })
    .default({ initialMs: 500, maxMs: 30_000 }),
});

const clockSchema = z.strictObject({
  /** Files whose presence says the system clock is synchronised (systemd-timesyncd writes the first). */
  syncMarkers: z.array(z.string()).default(['/run/systemd/timesync/synchronized']),
});

const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export function buildConfigSchema(definitions: readonly DeviceDefinition[]) {
  return z.strictObject({
    node: nodeSchema,
    /** Relative paths are relative to the config file. */
    dataDir: z.string().min(1).default('./data'),
    hardware: hardwareSchema,
    devices: z.array(deviceEntrySchema(definitions)).default([]),
    actuators: z.array(actuatorEntrySchema(definitions)).default([]),
    interlocks: z.array(interlockSchema).default([]),
    controllers: z.array(controllerSchema).default([]),
    safety: safetySchema.default(safetySchema.parse({})),
    scheduler: schedulerSchema.default(schedulerSchema.parse({})),
    clock: clockSchema.default(clockSchema.parse({})),
    /** The broker link; without it the node runs standalone and keeps no outbox. */
    mqtt: linkConfigSchema.optional(),
    outbox: outboxConfigSchema.default(outboxConfigSchema.parse({})),
    commands: commandsConfigSchema.default(commandsConfigSchema.parse({})),
    configApply: configApplySchema.default(configApplySchema.parse({})),
    /** ONNX models in the control loop (docs/inference.md); without it no inference runtime is loaded. */
    models: modelsConfigSchema.optional(),
    /** The local status page, /healthz and /metrics (docs/status-page.md). */
    web: webConfigSchema.default(webConfigSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
  });
}

export type Envelope = z.infer<typeof envelopeSchema>;
export type InterlockConfig = z.infer<typeof interlockSchema>;
export type ControllerConfig = z.infer<typeof controllerSchema>;
export type IncubatorConfig = z.infer<typeof incubatorSchema>;

export interface DeviceEntry {
  id: string;
  type: string;
  periodMs: number;
  channels: Record<string, ChannelSettings>;
  bus?: number;
  address?: number;
  romId?: string;
  pin?: number;
  [option: string]: unknown;
}

export interface ActuatorEntry {
  id: string;
  type: string;
  pin: number;
  envelope: Envelope;
  [option: string]: unknown;
}

type Parsed = z.output<ReturnType<typeof buildConfigSchema>>;

export type NodeConfig = Omit<Parsed, 'devices' | 'actuators'> & {
  devices: DeviceEntry[];
  actuators: ActuatorEntry[];
};
