/**
 * Waiting for a chip that reports when it is done (a status bit, or a NACK until the
 * data is there): wait the time it should take, then check a bounded number of times,
 * so a chip that never finishes costs a known, short time and then a `not-ready` fault.
 */
import { DeviceFault, type Timing } from './definition.js';

export interface PollSchedule {
  /** Before the first check: the nominal or maximum time of what is awaited. */
  firstWaitMs: number;
  /** Between checks; rounded up to whole milliseconds, at least 1, as timers count them. */
  intervalMs: number;
  /** Checks in all, the first included. */
  attempts: number;
  /** What is awaited, with the device's location: the fault says `<what> not ready after N ms`. */
  what: string;
  /** What the last check saw, appended in parentheses. */
  symptom?: string;
}

/** The value of the first `read` that `done` accepts; a DeviceFault('not-ready') when none does. */
export async function pollUntil<T>(
  timing: Timing,
  schedule: PollSchedule,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const intervalMs = Math.max(1, Math.ceil(schedule.intervalMs));
  await timing.sleep(schedule.firstWaitMs);
  for (let attempt = 1; ; attempt++) {
    const value = await read();
    if (done(value)) return value;
    if (attempt >= schedule.attempts) break;
    await timing.sleep(intervalMs);
  }
  const waitedMs = schedule.firstWaitMs + (schedule.attempts - 1) * intervalMs;
  const symptom = schedule.symptom ? ` (${schedule.symptom})` : '';
  throw new DeviceFault('not-ready', `${schedule.what} not ready after ${waitedMs} ms${symptom}`);
}
