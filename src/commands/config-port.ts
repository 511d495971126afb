/**
 * What `config.get` and `config.apply` see of the process that runs the node. The
 * supervisor of `benchloop run` (src/cli/run-supervisor.ts) implements it: applying a
 * configuration means stopping this node and starting another, which only the
 * process around the node can do.
 */
import type { Outcome } from './context.js';

export interface ApplyRequest {
  /** The whole new configuration, as a JSON object (the YAML file's content). */
  config: Record<string, unknown>;
  /** The hash of the configuration the orchestrator based its change on (from `config.get` or `describe`). */
  expectedHash: string;
  /** The command id: the reply is journaled under it by whichever node answers. */
  commandId: string;
  /** A plan runs now: the change is `busy` (once the configuration is known to be valid). */
  planRunning: boolean;
}

export interface RemoteConfigPort {
  /** The running configuration, secrets redacted, and its hash. */
  get(): { config: Record<string, unknown>; configHash: string };
  /**
   * Validates and applies. Refusals (`invalid_args`, `forbidden`, `failed`, `busy`)
   * resolve at once. An accepted change never resolves in the node that received it:
   * that node is stopped, and the node that replaces it journals and publishes the reply.
   */
  apply(request: ApplyRequest): Promise<Outcome>;
}
