/** The outbox's public surface: the sync layer needs nothing else. */
export type { BatchLimits } from './batch.js';
export { OUTBOX_DEFAULTS, Outbox, type OutboxOptions, type OutboxStreamStats } from './outbox.js';
export { encodePayload, MAX_MESSAGE_BYTES } from './payload.js';
export {
  type DroppedRange,
  type Durability,
  type OutboxLogger,
  type OutboxStore,
  type SealedMessage,
  STREAMS,
  type StoreFactory,
  type StoreKind,
  type Stream,
  type StreamStats,
} from './types.js';
