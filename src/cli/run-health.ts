/**
 * Waits until a node is healthy (`BenchloopNode.health()`: devices answering, broker
 * connected) or a deadline passes. Re-checked on the node's own signals (every sample
 * batch, every event, the broker connection), never by polling on a timer.
 */
import type { BenchloopNode } from '../main.js';

export interface HealthVerdict {
  healthy: boolean;
  problems: string[];
}

export function waitHealthy(node: BenchloopNode, timeoutMs: number): Promise<HealthVerdict> {
  return new Promise((resolve) => {
    let done = false;
    const unsubscribe: Array<() => void> = [];
    const finish = (verdict: HealthVerdict) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve(verdict);
    };
    const check = () => {
      if (done) return;
      const verdict = node.health();
      if (verdict.healthy) finish(verdict);
    };
    const timer = setTimeout(() => finish(node.health()), timeoutMs);
    unsubscribe.push(node.samples.subscribe(check), node.events.subscribe(check));
    node.sync?.whenConnected().then(check, () => undefined);
    check();
  });
}
