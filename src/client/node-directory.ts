/**
 * Which nodes exist and which are online, from their retained `R/status` (protocol
 * §Status). The rule that matters: a death whose `session` is lower than the last
 * birth's is stale (the broker published an old connection's Will after the new
 * connection's birth) and is ignored, or a node would look offline while online.
 *
 * Status is subscribed at QoS 0: the retained documents say the current state, and
 * they are sent again at every (re)subscription, which this directory makes after
 * every reconnect. QoS 0 also makes "the snapshot is complete" knowable: QoS 0
 * messages are not held back by the broker's in-flight window, so once a second
 * SUBACK for the same filter arrives, every retained status of the first has too.
 */
import type { Birth, NodeAddress } from '../protocol/index.js';
import { parseTopic, topicFilter } from '../protocol/index.js';
import type { MqttLink } from '../sync/mqtt-link.js';
import { filterCovers, matchesFilter, type NodeFilter, nodeKey } from './address.js';
import { Emitter } from './emitter.js';
import { readStatus } from './wire.js';

export interface NodeState {
  address: NodeAddress;
  /** `site/node`. */
  key: string;
  online: boolean;
  /** The session of the last birth, or of the death when no birth was seen. */
  session: number;
  /** The last birth (kept while offline: what the node was). */
  birth?: Birth;
  /** This client's clock when `online` last changed or a new birth came. */
  since: number;
}

export interface DirectoryEvents {
  /** A birth with a new session: the node (re)connected. `restarted` when its `bootId` changed. */
  online: { node: NodeState; restarted: boolean };
  offline: { node: NodeState };
  /** A death older than the last birth: ignored, reported for diagnosis. */
  'stale-death': { node: NodeState; session: number };
  /** Its retained status was cleared (an empty retained message). */
  removed: { node: NodeState };
}

export class NodeDirectory extends Emitter<DirectoryEvents> {
  private readonly nodes = new Map<string, NodeState>();
  private readonly tracked: NodeFilter[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly link: MqttLink,
    private readonly now: () => number = Date.now,
  ) {
    super();
    link.onMessage((topic, payload) => {
      const parsed = parseTopic(topic);
      if (parsed?.kind === 'status') this.onStatus(parsed, payload);
    });
    // A link whose session survived gets no retained messages again by itself: ask.
    link.on('connected', (info) => {
      if (info.reconnect) for (const filter of this.tracked) void this.subscribe(filter).catch(() => {});
    });
  }

  /**
   * Follows the status of the nodes `filter` matches; resolves once the retained
   * statuses are all in, so `list()` is then complete.
   */
  async track(filter: NodeFilter = {}): Promise<void> {
    if (this.tracked.some((t) => filterCovers(t, filter))) return;
    this.tracked.push(filter);
    await this.subscribe(filter);
    // The barrier: this SUBACK comes after every retained message of the first subscription.
    await this.subscribe(filter);
  }

  /** Whether `track()` has covered this node. */
  isTracked(address: NodeAddress): boolean {
    return this.tracked.some((t) => matchesFilter(t, address));
  }

  get(address: NodeAddress): NodeState | undefined {
    return this.nodes.get(nodeKey(address));
  }

  /** Known nodes the filter matches, by site then node. */
  list(filter: NodeFilter = {}): NodeState[] {
    return [...this.nodes.values()]
      .filter((n) => matchesFilter(filter, n.address))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Resolves when `test` holds for the node (now or later); rejects after `timeoutMs`, when given. */
  waitFor(
    address: NodeAddress,
    test: (node: NodeState | undefined) => boolean,
    timeoutMs?: number,
  ): Promise<NodeState | undefined> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const node = this.get(address);
        if (!test(node)) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(node);
        return true;
      };
      if (check()) return;
      this.waiters.add(check);
      if (timeoutMs !== undefined)
        timer = setTimeout(() => {
          this.waiters.delete(check);
          reject(new Error(`${nodeKey(address)}: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
    });
  }

  private subscribe(filter: NodeFilter): Promise<number> {
    return this.link.subscribe(topicFilter('status', filter), 0);
  }

  private onStatus(address: NodeAddress, payload: Buffer): void {
    const status = readStatus(payload);
    if (status === undefined) return;
    const key = nodeKey(address);
    const known = this.nodes.get(key);
    if (status === 'cleared') {
      if (!known) return;
      this.nodes.delete(key);
      this.emit('removed', { node: known });
    } else if (status.online) {
      // A birth older than the one we hold is a replay (a retained copy sent again): nothing new.
      if (known?.birth && status.session <= known.birth.session) return;
      const node: NodeState = {
        address: { site: address.site, node: address.node },
        key,
        online: true,
        session: status.session,
        birth: status,
        since: this.now(),
      };
      this.nodes.set(key, node);
      const restarted = known?.birth !== undefined && known.birth.bootId !== status.bootId;
      this.emit('online', { node, restarted });
    } else {
      if (known?.birth && status.session < known.birth.session) {
        this.emit('stale-death', { node: known, session: status.session });
        return;
      }
      if (known && !known.online && known.session === status.session) return;
      const node: NodeState = {
        address: { site: address.site, node: address.node },
        key,
        online: false,
        session: status.session,
        birth: known?.birth,
        since: this.now(),
      };
      this.nodes.set(key, node);
      this.emit('offline', { node });
    }
    for (const check of [...this.waiters]) check();
  }
}
