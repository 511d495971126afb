/**
 * What the `model.*` commands see of the node's inference runtime (src/inference
 * implements it; the composition root passes it in `CommandContext.models`). A node
 * without `models:` in its config has none, and every model command says so.
 */
import type { ModelDescription } from '../protocol/messages.js';
import { type CommandContext, failure, type Outcome } from './context.js';

export type ModelPortOutcome<R> =
  | { ok: true; result: R }
  | { ok: false; code: 'not_found' | 'failed' | 'invalid_args'; field?: string; message: string };

export interface ModelsPort {
  begin(request: {
    name: string;
    version: string;
    sha256: string;
    size: number;
  }): ModelPortOutcome<{ transfer: string; chunkSize: number }>;
  commit(args: {
    transfer: string;
    shadow?: boolean;
  }): Promise<ModelPortOutcome<{ name: string; version: string; active: boolean }>>;
  promote(name: string): Promise<ModelPortOutcome<{ name: string; version: string }>>;
  rollback(name: string): Promise<ModelPortOutcome<{ name: string; version: string }>>;
  list(): { models: ModelDescription[] };
}

/** Runs `work` on the node's models, turning the port's refusals into the command's. */
export async function withModels<R>(
  context: CommandContext,
  work: (models: ModelsPort) => ModelPortOutcome<R> | Promise<ModelPortOutcome<R>>,
): Promise<Outcome> {
  if (!context.models)
    return failure('not_found', 'name', 'this node runs no models (its config has no models: section)');
  const outcome = await work(context.models);
  return outcome.ok ? outcome : failure(outcome.code, outcome.field, outcome.message);
}
