/**
 * Periodic tasks on absolute deadlines: run k of a task is due at start + k·period,
 * so timer jitter never accumulates into drift. One timer serves all tasks (the
 * earliest deadline). A task never overlaps itself: a deadline that comes while its
 * previous run is still going is skipped and counted as an overrun; a slow task
 * only ever delays itself, because runs are started, not awaited, by the loop.
 */

export interface Timers {
  nowMs(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  nowMs: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What a run may ask for: wait at least this long before the next run (failure backoff). */
export interface RunOutcome {
  retryAfterMs?: number;
}

export interface PeriodicTask {
  id: string;
  periodMs: number;
  run(): Promise<RunOutcome | undefined>;
}

export interface TaskStats {
  runs: number;
  overruns: number;
}

interface TaskState {
  task: PeriodicTask;
  originMs: number;
  /** Index of the next deadline on the task's grid. */
  k: number;
  running: Promise<void> | undefined;
  stats: TaskStats;
}

/** Lateness samples (actual start − deadline) kept for the benchmark and status: a ring of the latest runs. */
export class LatenessRing {
  private readonly values: Float64Array;
  private count = 0;

  constructor(size = 4096) {
    this.values = new Float64Array(size);
  }

  add(ms: number): void {
    this.values[this.count % this.values.length] = ms;
    this.count++;
  }

  snapshot(): number[] {
    return Array.from(this.values.subarray(0, Math.min(this.count, this.values.length)));
  }
}

export class PeriodicScheduler {
  private readonly tasks = new Map<string, TaskState>();
  private timer: unknown;
  private timerDueMs = Number.POSITIVE_INFINITY;
  private running = false;
  readonly lateness = new LatenessRing();

  constructor(private readonly timers: Timers = realTimers) {}

  add(task: PeriodicTask): void {
    if (this.tasks.has(task.id)) throw new Error(`scheduler: task "${task.id}" exists`);
    this.tasks.set(task.id, {
      task,
      originMs: this.timers.nowMs(),
      k: 0,
      running: undefined,
      stats: { runs: 0, overruns: 0 },
    });
    if (this.running) this.arm();
  }

  stats(id: string): TaskStats | undefined {
    return this.tasks.get(id)?.stats;
  }

  start(): void {
    this.running = true;
    const now = this.timers.nowMs();
    for (const state of this.tasks.values()) {
      state.originMs = now;
      state.k = 0;
    }
    this.arm();
  }

  /** Stops starting runs and waits for those in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueMs = Number.POSITIVE_INFINITY;
    await Promise.allSettled([...this.tasks.values()].map((s) => s.running));
  }

  private deadline(state: TaskState): number {
    return state.originMs + state.k * state.task.periodMs;
  }

  private arm(): void {
    if (!this.running) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const state of this.tasks.values()) earliest = Math.min(earliest, this.deadline(state));
    if (earliest === this.timerDueMs && this.timer !== undefined) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerDueMs = earliest;
    if (earliest === Number.POSITIVE_INFINITY) {
      this.timer = undefined;
      return;
    }
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, earliest - this.timers.nowMs()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDueMs = Number.POSITIVE_INFINITY;
    const now = this.timers.nowMs();
    for (const state of this.tasks.values()) {
      const due = this.deadline(state);
      if (due > now) continue;
      // Every deadline up to now is consumed by this one start (or skip); the ones passed over are overruns.
      const passed = Math.floor((now - due) / state.task.periodMs);
      state.k += passed + 1;
      state.stats.overruns += passed;
      if (state.running) {
        state.stats.overruns += 1;
        continue;
      }
      this.lateness.add(now - due);
      this.launch(state);
    }
    this.arm();
  }

  private launch(state: TaskState): void {
    state.stats.runs += 1;
    state.running = state.task
      .run()
      .then(
        (outcome) => this.afterRun(state, outcome?.retryAfterMs),
        () => this.afterRun(state, undefined),
      )
      .finally(() => {
        state.running = undefined;
        this.arm();
      });
  }

  private afterRun(state: TaskState, retryAfterMs: number | undefined): void {
    if (!retryAfterMs) return;
    // Back off on the task's own grid, so sampling stays phase-aligned after recovery.
    const earliest = this.timers.nowMs() + retryAfterMs;
    const k = Math.ceil((earliest - state.originMs) / state.task.periodMs);
    state.k = Math.max(state.k, k);
  }
}
