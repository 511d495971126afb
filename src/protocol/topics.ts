/**
 * Topic names of protocol v1 (PROTOCOL.md §Topics), built and parsed in one place so
 * the node and orchestrator clients cannot drift apart. Pure: no I/O, no node imports.
 */

/** §Transport: `site` and `node`. They are single topic levels, so no `/`, `+` or `#` can slip in. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** §Transport: device, channel and actuator ids. */
export const ITEM_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * A model transfer id. The protocol leaves its form to the node, which issues it in
 * `model.begin`; the node-id alphabet keeps it one safe topic level.
 */
export const TRANSFER_ID_PATTERN = NODE_ID_PATTERN;
/** A chunk index: decimal without leading zeros, so one chunk has exactly one topic. */
const CHUNK_INDEX_PATTERN = /^(0|[1-9][0-9]{0,8})$/;

export const TOPIC_PREFIX = 'benchloop/v1';

export const NODE_TOPIC_KINDS = ['status', 'telemetry', 'events', 'cmd', 'reply'] as const;
export type NodeTopicKind = (typeof NODE_TOPIC_KINDS)[number];
export type TopicKind = NodeTopicKind | 'model';

export interface NodeAddress {
  site: string;
  node: string;
}

export type ParsedTopic =
  | (NodeAddress & { kind: NodeTopicKind })
  | (NodeAddress & { kind: 'model'; transfer: string; index: number });

/** Thrown by the builders for an id the protocol does not allow: such a topic would be unreachable or ambiguous. */
export class TopicError extends Error {
  override name = 'TopicError';
}

function checked(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value))
    throw new TopicError(`${what} ${JSON.stringify(value)} does not match ${pattern}`);
  return value;
}

/** `R` of the protocol: `benchloop/v1/{site}/{node}`. */
export function nodeRoot(address: NodeAddress): string {
  const site = checked('site', address.site, NODE_ID_PATTERN);
  const node = checked('node', address.node, NODE_ID_PATTERN);
  return `${TOPIC_PREFIX}/${site}/${node}`;
}

export function nodeTopic(address: NodeAddress, kind: NodeTopicKind): string {
  return `${nodeRoot(address)}/${kind}`;
}

export const statusTopic = (address: NodeAddress) => nodeTopic(address, 'status');
export const telemetryTopic = (address: NodeAddress) => nodeTopic(address, 'telemetry');
export const eventsTopic = (address: NodeAddress) => nodeTopic(address, 'events');
export const cmdTopic = (address: NodeAddress) => nodeTopic(address, 'cmd');
export const replyTopic = (address: NodeAddress) => nodeTopic(address, 'reply');

export function modelChunkTopic(address: NodeAddress, transfer: string, index: number): string {
  checked('transfer', transfer, TRANSFER_ID_PATTERN);
  if (!CHUNK_INDEX_PATTERN.test(String(index)))
    throw new TopicError(`chunk index ${index} is not a whole number from 0`);
  return `${nodeRoot(address)}/model/${transfer}/${index}`;
}

/**
 * A subscription filter for one kind of topic: a node subscribes to its own `cmd` and
 * `model`; an orchestrator to e.g. every node's `status` (`site`/`node` left out → `+`).
 */
export function topicFilter(kind: TopicKind, address: Partial<NodeAddress> = {}): string {
  const site = address.site === undefined ? '+' : checked('site', address.site, NODE_ID_PATTERN);
  const node = address.node === undefined ? '+' : checked('node', address.node, NODE_ID_PATTERN);
  return `${TOPIC_PREFIX}/${site}/${node}/${kind === 'model' ? 'model/+/+' : kind}`;
}

/** The topic's parts, or undefined for a topic that is not one of protocol v1's (wrong prefix, bad id, unknown kind). */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== 'benchloop' || levels[1] !== 'v1') return undefined;
  const [, , site, node, kind, ...rest] = levels;
  if (site === undefined || node === undefined || kind === undefined) return undefined;
  if (!NODE_ID_PATTERN.test(site) || !NODE_ID_PATTERN.test(node)) return undefined;
  if (kind === 'model') {
    const [transfer, index] = rest;
    if (rest.length !== 2 || !TRANSFER_ID_PATTERN.test(transfer!) || !CHUNK_INDEX_PATTERN.test(index!))
      return undefined;
    return { site, node, kind, transfer: transfer!, index: Number(index) };
  }
  if (rest.length > 0 || !(NODE_TOPIC_KINDS as readonly string[]).includes(kind)) return undefined;
  return { site, node, kind: kind as NodeTopicKind };
}
