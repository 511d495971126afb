/**
 * From payload bytes to a command envelope, or the `bad_request` that says why not.
 * Pure. The checks run cheapest first, and the size check comes before anything
 * reads the payload, so a huge message costs nothing to refuse.
 */
import type { z } from 'zod';
import { describeIssue, formatPath } from '../config/describe-issue.js';
import {
  COMMAND_ID_MAX_LENGTH,
  COMMAND_NAME_MAX_LENGTH,
  type CommandEnvelope,
  commandEnvelopeSchema,
  type FieldIssue,
} from '../protocol/messages.js';
import { type Failure, failure } from './context.js';

export type ParsedRequest =
  | { ok: true; command: CommandEnvelope }
  | { ok: false; id: string | null; name: string | null; failure: Failure };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseRequest(payload: Uint8Array, maxBytes: number): ParsedRequest {
  const refuse = (message: string, id: string | null = null, name: string | null = null): ParsedRequest => ({
    ok: false,
    id,
    name,
    failure: failure('bad_request', 'payload', message),
  });
  if (payload.byteLength > maxBytes)
    return refuse(`${payload.byteLength} bytes, above this node's limit of ${maxBytes} (commands.maxBytes)`);
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return refuse('not UTF-8 text');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return refuse(`not JSON (${(error as Error).message})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return refuse(
      `found ${Array.isArray(data) ? 'an array' : clip(JSON.stringify(data), 40)}; expected a JSON object`,
    );

  const raw = data as Record<string, unknown>;
  const id = boundedString(raw.id, COMMAND_ID_MAX_LENGTH);
  const name = boundedString(raw.name, COMMAND_NAME_MAX_LENGTH);
  const result = commandEnvelopeSchema.safeParse(raw);
  if (result.success) return { ok: true, command: result.data };
  return {
    ok: false,
    id,
    name,
    failure: issuesFailure('bad_request', [], commandEnvelopeSchema, raw, result.error),
  };
}

function boundedString(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length >= 1 && value.length <= max ? value : null;
}

/**
 * Every problem of a zod validation, each at its field path under `prefix`, in the
 * config's words ("found "hot" (string); expected a number").
 */
export function issuesFailure(
  code: 'bad_request' | 'invalid_args',
  prefix: readonly string[],
  schema: z.ZodType,
  data: unknown,
  error: z.ZodError,
): Failure {
  // Values are quoted in messages, which go to the reply, the journal and an event: quote only the start of long strings.
  const quotable = clipStrings(data);
  const issues: FieldIssue[] = error.issues.flatMap((issue) =>
    describeIssue(issue as z.core.$ZodIssue, schema, quotable).map((described) => ({
      path: formatPath([...prefix, ...described.path, ...(described.key ? [described.key] : [])]),
      message: clip(described.message, 300),
    })),
  );
  const message = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return { ...failure(code, undefined, message), issues };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clipStrings(value: unknown): unknown {
  if (typeof value === 'string') return clip(value, 40);
  if (Array.isArray(value)) return value.map(clipStrings);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v)]));
  return value;
}
