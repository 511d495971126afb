/**
 * Payloads of protocol v1 (PROTOCOL.md): types for everything on the wire, and zod
 * schemas for what the node receives. Shared by the node and orchestrator clients,
 * so it imports nothing of the node.
 */
import { z } from 'zod';

/** Unix epoch milliseconds, UTC, integer (§Transport). */
export type EpochMs = number;

export interface ClockStatus {
  synced: boolean;
  /** Extension: the marker that says the clock is synchronised, when it is. */
  source?: string;
}

export interface ChannelDescription {
  id: string;
  /** A UCUM code: `Cel`, `Pa`, `%`, `V`, `A`, `1`. */
  unit: string;
}

export interface DeviceDescription {
  id: string;
  type: string;
  channels: ChannelDescription[];
}

export interface ActuatorDescription {
  id: string;
  type: string;
  min: number;
  max: number;
  safe: number;
  value: number;
  /** Extension: the interlocks holding the output, present only while one does (a `set` then gets `busy`). */
  heldBy?: string[];
  /** Extension: `plan:<planId>` while a running plan owns the output (a `set` then gets `busy`). */
  ownedBy?: string;
}

export interface ModelDescription {
  name: string;
  version: string;
  sha256: string;
  active: boolean;
}

/** Published retained on `R/status` at every successful connect. */
export interface Birth {
  online: true;
  session: number;
  bootId: string;
  version: string;
  ts: EpochMs;
  clock: ClockStatus;
  devices: DeviceDescription[];
  actuators: ActuatorDescription[];
  models: ModelDescription[];
}

/** The Last Will on `R/status`, and what a clean shutdown publishes itself. */
export interface Death {
  online: false;
  session: number;
}

export type Status = Birth | Death;

/** The `describe` command's result. */
export interface Description extends Birth {
  configHash: string;
}

/** The birth document with its keys in the protocol's order (the MQTT sync and `describe` both build one). */
export function birthDocument(fields: Omit<Birth, 'online'>): Birth {
  const { session, bootId, version, ts, clock, devices, actuators, models } = fields;
  return { online: true, session, bootId, version, ts, clock, devices, actuators, models };
}

export type SampleQuality = 'uncertain' | 'bad';

/** A sample on the wire: `q` only when not good; a bad one has `v: null` and an `e` text. */
export interface WireSample {
  d: string;
  c: string;
  t: EpochMs;
  v: number | null;
  q?: SampleQuality;
  e?: string;
}

export interface WireEvent {
  t: EpochMs;
  type: string;
  [field: string]: unknown;
}

export interface TelemetryBatch {
  seq: number;
  bootId: string;
  samples: WireSample[];
}

export interface EventsBatch {
  seq: number;
  bootId: string;
  events: WireEvent[];
}

/** The event types PROTOCOL.md lists; nodes may emit more (see docs/protocol.md), so a client must accept others. */
export const PROTOCOL_EVENT_TYPES = [
  'interlock.tripped',
  'interlock.cleared',
  'actuator.changed',
  'model.activated',
  'model.rejected',
  'plan.started',
  'plan.step',
  'plan.finished',
  'plan.aborted',
  'device.error',
  'device.recovered',
  'data.dropped',
  'command.rejected',
] as const;

export const ERROR_CODES = [
  'bad_request',
  'unknown_command',
  'invalid_args',
  'forbidden',
  'out_of_range',
  'expired',
  'busy',
  'not_found',
  'failed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem of a `bad_request` or `invalid_args`, at a field path such as `args.value`. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface ReplyError {
  code: ErrorCode;
  message: string;
  /** Extension: every problem one by one, for `bad_request` on the envelope and `invalid_args`. `message` lists them too. */
  issues?: FieldIssue[];
}

export interface OkReply<R = unknown> {
  id: string;
  ok: true;
  result: R;
  ts: EpochMs;
}

export interface ErrorReply {
  /** null when the payload was unreadable or its `id` invalid. */
  id: string | null;
  ok: false;
  error: ReplyError;
  ts: EpochMs;
}

export type Reply<R = unknown> = OkReply<R> | ErrorReply;

/** Fields of a `command.rejected` event: one per error reply the node sends. */
export interface CommandRejectedFields {
  id: string | null;
  name: string | null;
  code: ErrorCode;
  message: string;
}

/** The built-in commands of PROTOCOL.md; docs/protocol.md says which this node implements. */
export const PROTOCOL_COMMANDS = [
  'ping',
  'describe',
  'read',
  'set',
  'plan.run',
  'plan.abort',
  'plan.status',
  'model.begin',
  'model.commit',
  'model.promote',
  'model.rollback',
  'model.list',
  'config.get',
  'config.apply',
] as const;

export const COMMAND_ID_MAX_LENGTH = 128;
/** Not in PROTOCOL.md: bounds the name so an unknown one can be quoted in replies, events and logs. */
export const COMMAND_NAME_MAX_LENGTH = 64;

/**
 * The command envelope on `R/cmd`. Strict: an unknown key is a `bad_request` naming
 * it. A typo such as `expiresat` would otherwise be dropped and the command run
 * without the expiry its sender meant; the same holds for envelope keys of a later
 * protocol version that this node does not implement.
 */
export const commandEnvelopeSchema = z.strictObject({
  id: z.string().min(1).max(COMMAND_ID_MAX_LENGTH),
  name: z.string().min(1).max(COMMAND_NAME_MAX_LENGTH),
  args: z.looseObject({}).optional(),
  expiresAt: z.int().min(0).optional(),
});

export type CommandEnvelope = z.output<typeof commandEnvelopeSchema>;

/** A command as a client builds it, with its args typed. */
export interface Command<A extends Record<string, unknown> = Record<string, unknown>> {
  id: string;
  name: string;
  args?: A;
  expiresAt?: EpochMs;
}
