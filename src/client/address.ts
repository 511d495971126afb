/**
 * Node addresses as people type them (`site/node`) and as filters (`site/+`, `+/+`):
 * checked against the protocol's id pattern here, so a typo fails before anything is
 * published rather than becoming a topic no node listens on.
 */
import { NODE_ID_PATTERN, type NodeAddress } from '../protocol/index.js';

/** A set of nodes: a site or node left out matches every one. */
export type NodeFilter = Partial<NodeAddress>;

export class AddressError extends Error {
  override name = 'AddressError';
}

export function nodeKey(address: NodeAddress): string {
  return `${address.site}/${address.node}`;
}

/** `site/node` → the address; throws AddressError naming what is wrong. */
export function parseNodeAddress(text: string): NodeAddress {
  const filter = parseNodeFilter(text);
  if (filter.site === undefined || filter.node === undefined)
    throw new AddressError(`${JSON.stringify(text)}: give one node as site/node, without wildcards`);
  return { site: filter.site, node: filter.node };
}

/** `site/node`, `site/+`, `+/+` (or `+`, or empty: every node). */
export function parseNodeFilter(text: string): NodeFilter {
  const parts = text === '' || text === '+' ? ['+', '+'] : text.split('/');
  if (parts.length !== 2)
    throw new AddressError(`${JSON.stringify(text)}: expected site/node (either may be +)`);
  const [site, node] = parts as [string, string];
  for (const [what, value] of [
    ['site', site],
    ['node', node],
  ] as const) {
    if (value !== '+' && !NODE_ID_PATTERN.test(value))
      throw new AddressError(
        `${JSON.stringify(text)}: ${what} ${JSON.stringify(value)} does not match ${NODE_ID_PATTERN} (or is +)`,
      );
  }
  return { ...(site === '+' ? {} : { site }), ...(node === '+' ? {} : { node }) };
}

export function filterText(filter: NodeFilter): string {
  return `${filter.site ?? '+'}/${filter.node ?? '+'}`;
}

export function matchesFilter(filter: NodeFilter, address: NodeAddress): boolean {
  return (
    (filter.site === undefined || filter.site === address.site) &&
    (filter.node === undefined || filter.node === address.node)
  );
}

/** Whether every node `inner` matches is matched by `outer`. */
export function filterCovers(outer: NodeFilter, inner: NodeFilter): boolean {
  return (
    (outer.site === undefined || outer.site === inner.site) &&
    (outer.node === undefined || outer.node === inner.node)
  );
}
