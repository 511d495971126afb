/**
 * Reading what nodes publish. The node validates what it receives; a client checks
 * the few fields it relies on (a `seq` to order by, a `session` to compare) and
 * passes the rest through typed as the protocol says, accepting keys it does not
 * know (later versions and node extensions add some).
 */
import type { EventsBatch, Reply, Status, TelemetryBatch } from '../protocol/index.js';

type Json = Record<string, unknown>;

function object(payload: Buffer | string): Json | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString());
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A birth or death; `cleared` for an empty retained payload (someone removed the node's status). */
export function readStatus(payload: Buffer): Status | 'cleared' | undefined {
  if (payload.length === 0) return 'cleared';
  const value = object(payload);
  if (!value || typeof value.online !== 'boolean' || !isCount(value.session)) return undefined;
  return value as unknown as Status;
}

export function readTelemetry(payload: Buffer): TelemetryBatch | undefined {
  const value = object(payload);
  if (!value || !isCount(value.seq) || typeof value.bootId !== 'string' || !Array.isArray(value.samples))
    return undefined;
  return value as unknown as TelemetryBatch;
}

export function readEvents(payload: Buffer): EventsBatch | undefined {
  const value = object(payload);
  if (!value || !isCount(value.seq) || typeof value.bootId !== 'string' || !Array.isArray(value.events))
    return undefined;
  return value as unknown as EventsBatch;
}

export function readReply(payload: Buffer): Reply | undefined {
  const value = object(payload);
  if (!value || typeof value.ok !== 'boolean' || (typeof value.id !== 'string' && value.id !== null))
    return undefined;
  if (value.ok === false && (typeof value.error !== 'object' || value.error === null)) return undefined;
  return value as unknown as Reply;
}
