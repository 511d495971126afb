/**
 * The step runner on deterministic timers (FakeTimers fires each timer `jitter` ms
 * late, as a loaded event loop would): writes land on absolute times, lateness does
 * not accumulate, rates are never hurried, waits meet conditions or time out, and an
 * abort stops everything at once.
 */
import { describe, expect, it } from 'vitest';
import { FakeTimers } from '../../test/support/fake-timers.js';
import type { Sample } from '../events/event-hub.js';
import type { WriteResult } from '../safety/actuators.js';
import { type RunnerPorts, RunStopped, runPlan, StepFailed } from './plan-runner.js';
import { type Plan, planSchema } from './plan-schema.js';

function rig(options: { jitterMs?: number; maxRatePerS?: number; refuse?: (value: number) => boolean } = {}) {
  const timers = new FakeTimers(() => options.jitterMs ?? 0);
  const writes: Array<{ t: number; actuator: string; value: number }> = [];
  const steps: string[] = [];
  const watchers = new Set<{ channel: string; listener: (s: Sample) => void }>();
  const measures: Array<{ path: string; stopped: boolean }> = [];
  let value = 0;
  const ports: RunnerPorts = {
    timers,
    async write(actuator, next): Promise<WriteResult> {
      if (options.refuse?.(next))
        return { ok: false, code: 'busy', message: `${actuator} is held at 0 by interlock overtemp` };
      writes.push({ t: timers.now, actuator, value: next });
      const previous = value;
      value = next;
      return { ok: true, actuator, value: next, previous };
    },
    maxRatePerS: () => options.maxRatePerS,
    measure(_step, at) {
      const entry = { path: at.path, stopped: false };
      measures.push(entry);
      return {
        reached: new Promise(() => {}),
        stop: () => {
          entry.stopped = true;
          return 7;
        },
      };
    },
    watch(channel, listener) {
      const entry = { channel, listener };
      watchers.add(entry);
      return () => watchers.delete(entry);
    },
    stepStarted: (at, index) =>
      steps.push(`start ${index} ${at.path}${at.iteration.length ? `#${at.iteration}` : ''}`),
    stepDone: (_at, index, kind, result) => steps.push(`done ${index} ${kind} ${JSON.stringify(result)}`),
  };
  const feed = (channel: string, v: number) => {
    for (const w of watchers)
      if (w.channel === channel) w.listener({ d: 'chamber', c: 'temperature', t: timers.now, v });
  };
  return { timers, ports, writes, steps, measures, feed, watchers };
}

const plan = (steps: unknown[]): Plan => planSchema.parse({ steps });

describe('runPlan', () => {
  it('ramps on absolute times despite late timers, then holds to the planned end', async () => {
    const { timers, ports, writes, steps } = rig({ jitterMs: 7 });
    const controller = new AbortController();
    const done = runPlan(
      plan([
        { ramp: { actuator: 'heater', from: 0, to: 0.5, durationMs: 1000, stepMs: 250 } },
        { hold: { durationMs: 1000 } },
        { set: { actuator: 'heater', value: 0.2 } },
      ]),
      ports,
      controller.signal,
    );
    await timers.advance(3000);
    await done;
    // Each write 7 ms late, never later: lateness does not add up.
    expect(writes).toEqual([
      { t: 0, actuator: 'heater', value: 0 },
      { t: 257, actuator: 'heater', value: 0.125 },
      { t: 507, actuator: 'heater', value: 0.25 },
      { t: 757, actuator: 'heater', value: 0.375 },
      { t: 1007, actuator: 'heater', value: 0.5 },
      { t: 2007, actuator: 'heater', value: 0.2 },
    ]);
    expect(steps).toEqual([
      'start 0 steps[0]',
      'done 0 ramp {"actuator":"heater","from":0,"to":0.5,"writes":5}',
      'start 1 steps[1]',
      'done 1 hold {"durationMs":1000}',
      'start 2 steps[2]',
      'done 2 set {"actuator":"heater","value":0.2,"previous":0.5}',
    ]);
  });

  it('never writes faster than maxRatePerS: a write due at once waits until the rate allows it', async () => {
    const { timers, ports, writes } = rig({ maxRatePerS: 1 });
    const done = runPlan(
      plan([{ set: { actuator: 'valve', value: 0.5 } }, { set: { actuator: 'valve', value: 0.8 } }]),
      ports,
      new AbortController().signal,
    );
    await timers.advance(1000);
    await done;
    expect(writes.map((w) => [w.t, w.value])).toEqual([
      [0, 0.5],
      [301, 0.8],
    ]);
  });

  it('expands repeats with their iteration and waits until a condition or its timeout', async () => {
    const { timers, ports, steps, feed, watchers } = rig();
    const done = runPlan(
      plan([
        { repeat: { times: 2, steps: [{ wait: { durationMs: 100 } }] } },
        { wait: { until: { channel: 'chamber/temperature', above: 30 }, timeoutMs: 1000 } },
        {
          wait: {
            until: { channel: 'chamber/temperature', below: 0 },
            timeoutMs: 500,
            onTimeout: 'continue',
          },
        },
      ]),
      ports,
      new AbortController().signal,
    );
    await timers.advance(300);
    feed('chamber/temperature', 29);
    feed('chamber/temperature', 31);
    await timers.advance(1000);
    await done;
    expect(steps).toEqual([
      'start 0 steps[0].repeat.steps[0]#1',
      'done 0 wait {"durationMs":100}',
      'start 1 steps[0].repeat.steps[0]#2',
      'done 1 wait {"durationMs":100}',
      'start 2 steps[1]',
      'done 2 wait {"channel":"chamber/temperature","value":31,"t":300,"waitedMs":100}',
      'start 3 steps[2]',
      'done 3 wait {"channel":"chamber/temperature","timedOut":true,"waitedMs":500}',
    ]);
    expect(watchers.size).toBe(0);
  });

  it('fails the step that timed out, or whose write the gate refused, naming where', async () => {
    const timedOut = rig();
    const waiting = runPlan(
      plan([{ wait: { until: { channel: 'door/level', equals: 1 }, timeoutMs: 200 } }]),
      timedOut.ports,
      new AbortController().signal,
    );
    const failure = expect(waiting).rejects.toThrow(
      new StepFailed(
        { path: 'steps[0]', iteration: [] },
        'timed out: door/level did not become equal to 1 within 200 ms',
      ),
    );
    await timedOut.timers.advance(300);
    await failure;

    const refused = rig({ refuse: (v) => v > 0.35 });
    const ramping = runPlan(
      plan([{ ramp: { actuator: 'heater', from: 0, to: 0.4, durationMs: 400, stepMs: 100 } }]),
      refused.ports,
      new AbortController().signal,
    );
    const refusal = expect(ramping).rejects.toMatchObject({
      at: { path: 'steps[0]' },
      message: 'busy: heater is held at 0 by interlock overtemp',
    });
    await refused.timers.advance(500);
    await refusal;
    expect(refused.writes.map((w) => w.value)).toEqual([0, 0.1, 0.2, 0.30000000000000004]);
  });

  it('an abort stops at once: no write after it, measurements stopped, RunStopped', async () => {
    const { timers, ports, writes, measures } = rig();
    const controller = new AbortController();
    const done = runPlan(
      plan([
        { measure: { channels: ['chamber/temperature'], periodMs: 100, durationMs: 5000, background: true } },
        { set: { actuator: 'heater', value: 0.3 } },
        { hold: { durationMs: 10_000 } },
        { set: { actuator: 'heater', value: 0.1 } },
      ]),
      ports,
      controller.signal,
    );
    await timers.advance(1000);
    controller.abort();
    await expect(done).rejects.toBeInstanceOf(RunStopped);
    await timers.advance(20_000);
    expect(writes.map((w) => w.value)).toEqual([0.3]);
    expect(measures).toEqual([{ path: 'steps[0]', stopped: false }]);
  });

  it('a blocking measure ends at its duration and reports the rows it recorded', async () => {
    const { timers, ports, steps, measures } = rig();
    const done = runPlan(
      plan([{ measure: { channels: ['chamber/temperature'], periodMs: 100, durationMs: 500 } }]),
      ports,
      new AbortController().signal,
    );
    await timers.advance(600);
    await done;
    expect(measures).toEqual([{ path: 'steps[0]', stopped: true }]);
    expect(steps.at(-1)).toBe('done 0 measure {"channels":["chamber/temperature"],"samples":7}');
  });
});
