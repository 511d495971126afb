/**
 * The `devices:` and `actuators:` entries: common keys, the transport's keys, and
 * each device folder's own options, merged into one strict object per `type` so a
 * typo in any of them is an error that names the key.
 */
import { z } from 'zod';
import type { DeviceDefinition } from '../device-kit/index.js';
import { actuatorEntryIssues, sensorEntryIssues } from './entry-checks.js';
import { itemIdSchema } from './ids.js';
import { channelSettingsSchema } from './pipeline-schema.js';

const commonSensorKeys = {
  id: itemIdSchema,
  periodMs: z.number().int().min(10, { error: 'at least 10 ms' }).max(86_400_000).default(1000),
  channels: z.record(z.string(), channelSettingsSchema).default({}),
};

const transportKeys = {
  i2c: {
    bus: z.number().int().min(0).max(255).default(1),
    address: z.number().int().min(0x03).max(0x77).optional(),
  },
  '1-wire': {
    romId: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{12}$/, { error: 'a 1-Wire ROM id like 28-0316a2791cff' }),
  },
  gpio: { pin: z.number().int().min(0).max(63) },
} as const;

export const envelopeSchema = z.strictObject({
  min: z.number(),
  max: z.number(),
  /** Largest change of one write; moves to the safe value and interlock-forced values are exempt. */
  maxStep: z.number().positive().optional(),
  /** Largest change per second between writes. */
  maxRatePerS: z.number().positive().optional(),
  safe: z.number(),
});

export const commonKeyNames = new Set([
  'id',
  'type',
  'periodMs',
  'channels',
  'bus',
  'address',
  'romId',
  'pin',
  'envelope',
]);

function optionsShape(definition: DeviceDefinition): z.ZodRawShape {
  const options = definition.options as unknown as z.ZodObject;
  if (!(options instanceof z.ZodObject))
    throw new Error(`device ${definition.type}: options must be a zod object`);
  return options.shape;
}

export function deviceEntrySchema(definitions: readonly DeviceDefinition[]) {
  const sensors = definitions.filter((d) => d.kind === 'sensor');
  const members = sensors.map((d) =>
    z
      .strictObject({
        type: z.literal(d.type),
        ...commonSensorKeys,
        ...transportKeys[d.transport],
        ...optionsShape(d),
      })
      .superRefine((entry, ctx) => report(ctx, sensorEntryIssues(d, entry))),
  );
  return discriminated(members);
}

export function actuatorEntrySchema(definitions: readonly DeviceDefinition[]) {
  const actuators = definitions.filter((d) => d.kind === 'actuator');
  const members = actuators.map((d) =>
    z
      .strictObject({
        type: z.literal(d.type),
        id: itemIdSchema,
        ...transportKeys[d.transport],
        envelope: envelopeSchema,
        ...optionsShape(d),
      })
      .superRefine((entry, ctx) => report(ctx, actuatorEntryIssues(d, entry))),
  );
  return discriminated(members);
}

function report(ctx: z.RefinementCtx, issues: Array<{ path: (string | number)[]; message: string }>): void {
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}

// zod's discriminated union needs at least one member; a registry without actuators still validates.
function discriminated(members: z.ZodObject[]) {
  if (members.length === 0) return z.never();
  return z.discriminatedUnion('type', members as [z.ZodObject, ...z.ZodObject[]]);
}

/** Splits a validated entry into the runtime's keys and the device's own options. */
export function deviceOptions(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !commonKeyNames.has(key)));
}
