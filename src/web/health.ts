/**
 * Liveness and readiness, each with the reasons it fails, from what the node
 * reports. Live: the process does its core work (the event loop turns, every device
 * is being sampled, even if its reads fail); a supervisor may restart a node that is
 * not. Ready: it does it well (every device reads, the broker link is up when one is
 * configured). Warnings change neither but need a look: a tripped interlock is the
 * safety system working, not a broken node. The page's overall state uses the same
 * verdict, so the page and `/healthz` never disagree.
 */
import type { LagWindow } from './loop-lag.js';
import type { NodeStatus, SyncStatsLike } from './web-deps.js';

export interface Verdict {
  ok: boolean;
  reasons: string[];
}

export interface Health {
  /** `ok` (ready, no warnings), `warn` (ready, something to look at), `fail` (not ready). */
  state: 'ok' | 'warn' | 'fail';
  live: Verdict;
  ready: Verdict;
  warnings: string[];
}

/** A p99 lag this long means timers (sampling deadlines, interlock checks) run late all the time. */
export const LAG_LIMIT_MS = 1_000;
/** Silence from a device longer than this many periods (and never under the floor) means its sampling stopped. */
const STALL_PERIODS = 5;
const STALL_FLOOR_MS = 60_000;

export interface HealthInput {
  status: NodeStatus;
  sync: SyncStatsLike | undefined;
  lag: LagWindow | undefined;
  /** Monotonic ms of each device's last sample; `sinceMs` stands in for a device not heard from yet. */
  lastSeen(device: string): number | undefined;
  sinceMs: number;
  nowMonoMs: number;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function evaluateHealth(input: HealthInput): Health {
  const { status, sync, lag, nowMonoMs } = input;
  const live: string[] = [];
  const ready: string[] = [];
  const warnings: string[] = [];

  if (lag && lag.p99Ms > LAG_LIMIT_MS)
    live.push(`event loop lagging: p99 ${Math.round(lag.p99Ms)} ms over the last window`);
  for (const device of status.devices) {
    const silentMs = nowMonoMs - (input.lastSeen(device.id) ?? input.sinceMs);
    const limit = Math.max(STALL_FLOOR_MS, STALL_PERIODS * (device.periodMs ?? 0));
    if (silentMs > limit) live.push(`${device.id}: no sample for ${seconds(silentMs)} (sampling stalled)`);
    if (!device.ok) {
      const why = device.lastError ? `: ${device.lastError}` : '';
      ready.push(
        device.reads === 0
          ? `${device.id}: not read yet`
          : `${device.id}: reads failing (${device.consecutiveFailures} in a row)${why}`,
      );
    }
    if (device.overruns > 0) warnings.push(`${device.id}: ${device.overruns} sampling deadlines missed`);
  }

  const link = sync?.link;
  if (sync && link?.state !== 'online') {
    const why = link?.lastError ? `: ${link.lastError}` : '';
    ready.push(`broker link ${link?.state ?? 'not started'} (${link?.url ?? 'no broker'})${why}`);
  }
  const dropped = Object.values(sync?.outbox ?? {}).reduce((n, s) => n + s.dropped, 0);
  if (dropped > 0) warnings.push(`outbox dropped ${dropped} messages (storage bound)`);

  for (const interlock of status.interlocks.filter((i) => i.tripped))
    warnings.push(`interlock ${interlock.id} tripped${interlock.reason ? `: ${interlock.reason}` : ''}`);
  if (!status.clock.synced) warnings.push('clock not synchronised: times may be wrong');

  const liveOk = live.length === 0;
  const readyReasons = [...live, ...ready];
  return {
    state: readyReasons.length > 0 ? 'fail' : warnings.length > 0 ? 'warn' : 'ok',
    live: { ok: liveOk, reasons: live },
    ready: { ok: readyReasons.length === 0, reasons: readyReasons },
    warnings,
  };
}
