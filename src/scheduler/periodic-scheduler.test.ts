import { describe, expect, it } from 'vitest';
import { FakeTimers } from '../../test/support/fake-timers.js';
import { PeriodicScheduler, type RunOutcome } from './periodic-scheduler.js';

function recorder(timers: FakeTimers, durationMs = 0, outcome?: () => RunOutcome | undefined) {
  const starts: number[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async () => {
    starts.push(timers.now);
    active++;
    maxActive = Math.max(maxActive, active);
    if (durationMs > 0) await new Promise<void>((resolve) => timers.setTimeout(resolve, durationMs));
    active--;
    return outcome?.();
  };
  return { run, starts, maxActive: () => maxActive };
}

/** stop() waits for runs in flight, which wait on fake time: let time run while stopping. */
async function stopAndDrain(scheduler: PeriodicScheduler, timers: FakeTimers): Promise<void> {
  const stopped = scheduler.stop();
  await timers.advance(10_000);
  await stopped;
}

describe('PeriodicScheduler (fake time)', () => {
  it('keeps absolute deadlines: late timers never accumulate into drift', async () => {
    const timers = new FakeTimers(() => 3);
    const scheduler = new PeriodicScheduler(timers);
    const task = recorder(timers);
    scheduler.add({ id: 'a', periodMs: 100, run: task.run });
    scheduler.start();
    await timers.advance(3600_000);
    await scheduler.stop();
    expect(task.starts.length).toBe(36_000);
    // Run k starts at k·100 plus one timer's lateness, after an hour as in the first second.
    for (const [k, t] of task.starts.entries()) expect(t - k * 100).toBeLessThanOrEqual(3);
    expect(scheduler.stats('a')).toEqual({ runs: 36_000, overruns: 0 });
  });

  it('never overlaps a task with itself and counts the skipped deadlines as overruns', async () => {
    const timers = new FakeTimers();
    const scheduler = new PeriodicScheduler(timers);
    const slow = recorder(timers, 250);
    scheduler.add({ id: 'slow', periodMs: 100, run: slow.run });
    scheduler.start();
    await timers.advance(1000);
    await stopAndDrain(scheduler, timers);
    expect(slow.maxActive()).toBe(1);
    expect(slow.starts).toEqual([0, 300, 600, 900]);
    // Deadlines 100, 200, 400, 500, 700, 800 and 1000 fell while a run was going.
    expect(scheduler.stats('slow')!.overruns).toBe(7);
  });

  it('a slow task does not delay the others', async () => {
    const timers = new FakeTimers();
    const scheduler = new PeriodicScheduler(timers);
    const slow = recorder(timers, 5000);
    const fast = recorder(timers, 1);
    scheduler.add({ id: 'slow', periodMs: 100, run: slow.run });
    scheduler.add({ id: 'fast', periodMs: 10, run: fast.run });
    scheduler.start();
    await timers.advance(1000);
    await stopAndDrain(scheduler, timers);
    expect(fast.starts.length).toBe(101);
    for (const [k, t] of fast.starts.entries()) expect(t).toBe(k * 10);
    expect(scheduler.stats('fast')!.overruns).toBe(0);
  });

  it('backs off on the task grid after a failure, then resumes the period', async () => {
    const timers = new FakeTimers();
    const scheduler = new PeriodicScheduler(timers);
    let failures = 2;
    const task = recorder(timers, 0, () => (failures-- > 0 ? { retryAfterMs: 450 } : undefined));
    scheduler.add({ id: 'flaky', periodMs: 100, run: task.run });
    scheduler.start();
    await timers.advance(1200);
    await scheduler.stop();
    expect(task.starts).toEqual([0, 500, 1000, 1100, 1200]);
  });

  it('waits for runs in flight on stop and starts no more', async () => {
    const timers = new FakeTimers();
    const scheduler = new PeriodicScheduler(timers);
    const task = recorder(timers, 50);
    scheduler.add({ id: 'a', periodMs: 100, run: task.run });
    scheduler.start();
    await timers.advance(10);
    const stopped = scheduler.stop();
    await timers.advance(1000);
    await stopped;
    expect(task.starts).toEqual([0]);
  });
});

describe('PeriodicScheduler (real time)', () => {
  it('runs every task in deadline order, each run after the previous one of its task ended', async () => {
    const scheduler = new PeriodicScheduler();
    const log: Array<{ id: string; start: number; end: number }> = [];
    const make = (id: string, periodMs: number) => ({
      id,
      periodMs,
      run: async () => {
        const start = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 2));
        log.push({ id, start, end: performance.now() });
        return undefined;
      },
    });
    scheduler.add(make('10ms', 10));
    scheduler.add(make('30ms', 30));
    scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await scheduler.stop();
    for (const id of ['10ms', '30ms']) {
      const runs = log.filter((r) => r.id === id);
      expect(runs.length).toBeGreaterThan(1);
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    }
    expect(log.filter((r) => r.id === '10ms').length).toBeGreaterThan(
      log.filter((r) => r.id === '30ms').length,
    );
  });
});
