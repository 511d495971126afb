/** A reply in the dispatcher's form (src/commands/dispatcher.ts), for a command answered by another node than the one that received it. */
import type { Outcome } from '../commands/context.js';
import type { FieldIssue, Reply } from '../protocol/messages.js';

export type { FieldIssue };
export type JournaledReplyLike = Reply & { id: string };

export function replyFor(id: string, name: string, outcome: Outcome, ts: number): JournaledReplyLike {
  if (outcome.ok) return { id, ok: true, result: outcome.result, ts };
  const message = `command ${id} (${name}): ${outcome.field ? `${outcome.field}: ` : ''}${outcome.message}`;
  return {
    id,
    ok: false,
    error: { code: outcome.code, message, ...(outcome.issues ? { issues: outcome.issues } : {}) },
    ts,
  };
}
