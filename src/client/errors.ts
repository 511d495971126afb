/**
 * What can go wrong when talking to a node, one class per outcome an orchestrator
 * handles differently: the node refused (`CommandError`, with the protocol's code),
 * nobody answered in time while the node looked online (`CommandTimeoutError`), the
 * node is offline (`NodeOfflineError`). Broker trouble is the link's `MqttLinkError`.
 */
import type { ErrorCode, ErrorReply, NodeAddress } from '../protocol/index.js';
import { nodeKey } from './address.js';

export { MqttLinkError } from '../sync/link-errors.js';

/** The node answered `ok: false`: `code` is the protocol's error code, `reply` the whole reply. */
export class CommandError extends Error {
  override name = 'CommandError';
  readonly code: ErrorCode;

  constructor(
    readonly address: NodeAddress,
    readonly command: string,
    readonly reply: ErrorReply,
  ) {
    super(`${nodeKey(address)}: ${command} refused: ${reply.error.code}: ${reply.error.message}`);
    this.code = reply.error.code;
  }
}

/**
 * No reply within the timeout while the node was online (or its status unknown).
 * The command may still run until its `expiresAt`; resend with the same `id` to
 * get its reply without running it twice.
 */
export class CommandTimeoutError extends Error {
  override name = 'CommandTimeoutError';

  constructor(
    readonly address: NodeAddress,
    readonly command: string,
    readonly id: string,
    readonly timeoutMs: number,
  ) {
    super(`${nodeKey(address)}: no reply to ${command} (id ${id}) within ${timeoutMs} ms`);
  }
}

/**
 * The node's retained status says it is offline (or there is none: it never
 * connected to this broker). `session` is the death's session, when there is one.
 * When raised after a timeout, the command may still run if the node comes back
 * before its `expiresAt`.
 */
export class NodeOfflineError extends Error {
  override name = 'NodeOfflineError';

  constructor(
    readonly address: NodeAddress,
    readonly known: boolean,
    readonly session?: number,
    detail = '',
  ) {
    super(
      known
        ? `${nodeKey(address)} is offline (session ${session})${detail}`
        : `${nodeKey(address)}: no status retained on this broker: unknown node, or it never connected here${detail}`,
    );
  }
}

/** A model transfer that could not be completed (file empty, link lost while sending chunks). */
export class TransferError extends Error {
  override name = 'TransferError';
}

/** A plan followed with a time bound was still running at its end; it goes on on the node. */
export class PlanTimeoutError extends Error {
  override name = 'PlanTimeoutError';

  constructor(
    readonly address: NodeAddress,
    readonly planId: string,
    readonly timeoutMs: number,
  ) {
    super(`${nodeKey(address)}: plan ${planId} still running after ${timeoutMs} ms (it goes on on the node)`);
  }
}
