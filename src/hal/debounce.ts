/**
 * Software debounce for an interrupt-driven input, with the semantics of the
 * `onoff` library's `debounceTimeout` option (onoff 6.0.3 README, "Debouncing
 * Buttons"; onoff.js wraps its epoll handler in lodash.debounce): every interrupt
 * restarts a quiet period of `debounceMs`; when the line has been quiet that long
 * the level is read once, and listeners hear it only if it differs from the last
 * settled level (the check the onoff maintainer suggests in fivdi/onoff#51, so a
 * glitch that returns to the old level is not an edge) and the configured `edge`
 * includes it. Timers are `setTimeout`, so vitest fake timers drive it.
 *
 * An edge is stamped with the `performance.now()` of the change that started the
 * level, not of its delivery debounceMs later, as the real backends stamp theirs
 * (onoff: now − debounceMs; pigpio: the alert's tick).
 */
import type { Edge, Level } from '../device-kit/index.js';

export type EdgeListener = (level: Level, atMs: number) => void;

/** A rising edge ends at level 1, a falling one at level 0. */
export function edgeIncludes(edge: Edge, level: Level): boolean {
  return edge === 'both' || edge === (level === 1 ? 'rising' : 'falling');
}

export class Debouncer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private settled: Level;
  private changedAtMs = 0;
  private readonly listeners = new Set<EdgeListener>();

  /** `read` returns the line's logical level now; it is sampled once here as the reference level. */
  constructor(
    private readonly edge: Edge,
    private readonly debounceMs: number,
    private readonly read: () => Level,
  ) {
    // onoff reads the value before polling "to prevent an initial unauthentic interrupt".
    this.settled = read();
  }

  subscribe(listener: EdgeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call on every change of the line's level: it (re)starts the quiet period. */
  interrupt(): void {
    if (this.edge === 'none') return;
    this.changedAtMs = performance.now();
    if (this.debounceMs <= 0) {
      this.settle();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.settle();
    }, this.debounceMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private settle(): void {
    const level = this.read();
    if (level === this.settled) return;
    // The reference follows every settled change, also those the edge filter hides: with
    // edge `rising`, the unseen fall must still count, or the next rise would look unchanged.
    this.settled = level;
    if (!edgeIncludes(this.edge, level)) return;
    for (const listener of [...this.listeners]) listener(level, this.changedAtMs);
  }
}
