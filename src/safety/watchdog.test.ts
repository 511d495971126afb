import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Watchdog, type WatchdogTrip } from './watchdog.js';

describe('watchdog', () => {
  it('forces outputs safe from its own thread while the main loop is stalled, and reports when it resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchloop-watchdog-'));
    const line = join(dir, 'pwm18');
    writeFileSync(line, '0.8');
    let reported: WatchdogTrip | undefined;
    const tripped = new Promise<void>((resolve) => {
      const watchdog = new Watchdog({
        timeoutMs: 200,
        writes: [{ actuator: 'heater', write: { kind: 'file', path: line, data: '0' } }],
        onTripped: (trip) => {
          reported = trip;
          void watchdog.stop().then(resolve);
        },
      });
      watchdog.start();
    });
    // Let the worker start, then stall this thread for real.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stallUntil = performance.now() + 1500;
    let observedDuringStall = '0.8';
    while (performance.now() < stallUntil) {
      if (performance.now() > stallUntil - 200) observedDuringStall = readFileSync(line, 'utf8');
    }
    expect(observedDuringStall).toBe('0');
    await tripped;
    expect(reported!.results).toEqual([{ actuator: 'heater', ok: true }]);
    expect(reported!.stalledMs).toBeGreaterThanOrEqual(200);
  });

  it('stays quiet while the loop is alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchloop-watchdog-'));
    const line = join(dir, 'pwm18');
    writeFileSync(line, '0.8');
    let trips = 0;
    const watchdog = new Watchdog({
      timeoutMs: 200,
      writes: [{ actuator: 'heater', write: { kind: 'file', path: line, data: '0' } }],
      onTripped: () => trips++,
    });
    watchdog.start();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await watchdog.stop();
    expect(trips).toBe(0);
    expect(readFileSync(line, 'utf8')).toBe('0.8');
  });
});
