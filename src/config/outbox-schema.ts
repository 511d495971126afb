/** The config's `outbox:` section: how samples and events are kept until the broker has them (docs/outbox.md). */
import { z } from 'zod';
import { MAX_MESSAGE_BYTES, OUTBOX_DEFAULTS } from '../outbox/index.js';

const batchSchema = z.strictObject({
  maxItems: z.number().int().min(1).default(OUTBOX_DEFAULTS.batch.maxItems),
  /** Whole published message; brokers commonly cap a message at 128 KiB. */
  maxBytes: z.number().int().min(1024).max(MAX_MESSAGE_BYTES).default(OUTBOX_DEFAULTS.batch.maxBytes),
  maxAgeMs: z.number().int().min(1).default(OUTBOX_DEFAULTS.batch.maxAgeMs),
});

export const outboxConfigSchema = z.strictObject({
  store: z.enum(['segment-log', 'sqlite']).default(OUTBOX_DEFAULTS.store),
  /** fsync: durable against power cuts up to the last commit interval; os: against crashes only; strict: every message. */
  durability: z.enum(['fsync', 'os', 'strict']).default(OUTBOX_DEFAULTS.durability),
  commitIntervalMs: z.number().int().min(10).max(60_000).default(OUTBOX_DEFAULTS.commitIntervalMs),
  batch: batchSchema.default(batchSchema.parse({})),
  /** Past this, the oldest messages are dropped and reported in a `data.dropped` event. */
  maxStoredBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(OUTBOX_DEFAULTS.maxStoredBytes),
  /** Messages published and not yet acknowledged, per stream. */
  inFlight: z.number().int().min(1).max(1000).default(32),
});

export type OutboxConfig = z.output<typeof outboxConfigSchema>;
