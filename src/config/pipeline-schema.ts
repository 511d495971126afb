/** Per-channel processing settings, applied in this order: calibration, then filters (ESPHome's sensor filters, by another name). */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, { error: 'a finite number' });

export const calibrationSchema = z.union([
  z.strictObject({ offset: finite.default(0), scale: finite.default(1) }),
  z.strictObject({
    /** Two reference points [raw, engineering]: a pH probe at pH 4 and pH 7, say. */
    points: z
      .tuple([z.tuple([finite, finite]), z.tuple([finite, finite])])
      .refine(([a, b]) => a[0] !== b[0], { error: 'the two points need two different raw values' }),
  }),
]);

const windowSize = z.number().int().min(1).max(1000);

export const filterSchema = z.union([
  z.strictObject({ movingAverage: z.strictObject({ window: windowSize }) }),
  z.strictObject({ median: z.strictObject({ window: windowSize }) }),
  z.strictObject({ exponential: z.strictObject({ alpha: z.number().gt(0).max(1) }) }),
  z.strictObject({
    deadband: z.strictObject({
      delta: z.number().min(0),
      /** Pass a value anyway after this long, so a quiet channel still shows it is alive. */
      maxSilenceMs: z.number().int().positive().optional(),
    }),
  }),
  z.strictObject({ throttle: z.strictObject({ minIntervalMs: z.number().int().positive() }) }),
]);

export const channelSettingsSchema = z.strictObject({
  /** UCUM code overriding the driver's unit, for a calibration that changes it. */
  unit: z.string().min(1).optional(),
  calibration: calibrationSchema.optional(),
  filters: z.array(filterSchema).default([]),
  /** false: the channel is read but not published. */
  enabled: z.boolean().default(true),
});

export type CalibrationConfig = z.infer<typeof calibrationSchema>;
export type FilterConfig = z.infer<typeof filterSchema>;
export type ChannelSettings = z.infer<typeof channelSettingsSchema>;
