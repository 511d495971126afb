import { describe, expect, it } from 'vitest';
import { DeviceFault, type Timing } from './definition.js';
import { pollUntil } from './poll.js';

/** A clock that records every sleep and moves only by them. */
function recordingTiming() {
  const sleeps: number[] = [];
  let t = 0;
  const timing: Timing = {
    nowMs: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { timing, sleeps };
}

/** A read that answers the given values in turn, counting how often it ran. */
function answers<T>(...values: T[]) {
  let reads = 0;
  return {
    read: async () => values[Math.min(reads++, values.length - 1)]!,
    reads: () => reads,
  };
}

const schedule = { firstWaitMs: 10, intervalMs: 2, attempts: 4, what: 'i2c-1 0x48: TEST conversion' };

describe('pollUntil', () => {
  it('waits the first wait, then returns the first value the check accepts', async () => {
    const { timing, sleeps } = recordingTiming();
    const status = answers(0x80);
    expect(await pollUntil(timing, schedule, status.read, (s) => s === 0x80)).toBe(0x80);
    expect(sleeps).toEqual([10]);
    expect(status.reads()).toBe(1);
  });

  it('checks again at the interval, rounded up to whole milliseconds and at least 1', async () => {
    for (const [intervalMs, slept] of [
      [2.2, 3],
      [0.3, 1],
      [0, 1],
    ] as const) {
      const { timing, sleeps } = recordingTiming();
      const status = answers('busy', 'busy', 'done');
      const done = await pollUntil(timing, { ...schedule, intervalMs }, status.read, (s) => s === 'done');
      expect(done).toBe('done');
      expect(sleeps).toEqual([10, slept, slept]);
    }
  });

  it('gives up after `attempts` checks with a not-ready fault naming what, how long and what it saw', async () => {
    const { timing, sleeps } = recordingTiming();
    const status = answers(false);
    const error = await pollUntil(
      timing,
      { ...schedule, symptom: 'busy bit stayed set' },
      status.read,
      Boolean,
    )
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect(error).toMatchObject({
      reason: 'not-ready',
      message: 'i2c-1 0x48: TEST conversion not ready after 16 ms (busy bit stayed set)',
    });
    expect(status.reads()).toBe(4);
    // No sleep after the last check: the fault comes as soon as it is known.
    expect(sleeps).toEqual([10, 2, 2, 2]);
  });

  it('leaves the parentheses out without a symptom, and counts one attempt as the first check', async () => {
    const { timing, sleeps } = recordingTiming();
    await expect(pollUntil(timing, { ...schedule, attempts: 1 }, answers(0).read, Boolean)).rejects.toThrow(
      /^i2c-1 0x48: TEST conversion not ready after 10 ms$/,
    );
    expect(sleeps).toEqual([10]);
  });

  it('passes a failing read (a bus error) through at once', async () => {
    const { timing } = recordingTiming();
    let reads = 0;
    const failing = async () => {
      reads++;
      throw Object.assign(new Error('EIO: transfer failed'), { code: 'EIO' });
    };
    await expect(pollUntil(timing, schedule, failing, Boolean)).rejects.toMatchObject({ code: 'EIO' });
    expect(reads).toBe(1);
  });
});
