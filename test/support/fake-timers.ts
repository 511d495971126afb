import type { Timers } from '../../src/scheduler/periodic-scheduler.js';

/**
 * Deterministic timers for scheduler tests: time moves only in `advance`, and each
 * timer fires `jitterMs()` late, as a loaded event loop would fire it.
 */
export class FakeTimers implements Timers {
  now = 0;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; callback: () => void }>();

  constructor(private readonly jitterMs: () => number = () => 0) {}

  nowMs(): number {
    return this.now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.queue.set(id, { at: this.now + ms + this.jitterMs(), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }

  /** Runs every timer due up to now + ms, in time order, settling promises in between. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.queue) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next || next[1].at > end) break;
      this.queue.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].callback();
    }
    this.now = end;
    await settle();
  }
}

/** Lets every promise chain that needs no timer run to its end: setImmediate runs only once the microtask queue is empty. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}
