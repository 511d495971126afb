import { describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthInput } from './health.js';

const base = (over: Partial<HealthInput> = {}): HealthInput => ({
  status: {
    node: { id: 'n', site: 's' },
    version: '0',
    bootId: 'b',
    uptimeMs: 0,
    clock: { synced: true },
    devices: [
      {
        id: 'slow',
        type: 'ds18b20',
        ok: true,
        consecutiveFailures: 0,
        reads: 5,
        failures: 0,
        overruns: 0,
        periodMs: 120_000,
      },
      {
        id: 'fast',
        type: 'bme280',
        ok: true,
        consecutiveFailures: 0,
        reads: 5,
        failures: 0,
        overruns: 0,
        periodMs: 200,
      },
    ],
    actuators: [],
    interlocks: [],
  },
  sync: undefined,
  lag: undefined,
  lastSeen: () => 0,
  sinceMs: 0,
  nowMonoMs: 30_000,
  ...over,
});

describe('evaluateHealth', () => {
  it('live while every device was heard from within max(5 periods, 60 s)', () => {
    expect(evaluateHealth(base()).live).toEqual({ ok: true, reasons: [] });
    const late = evaluateHealth(base({ nowMonoMs: 61_000 }));
    // fast (200 ms) is allowed 60 s; slow (2 min) five periods, 10 min.
    expect(late.live).toEqual({ ok: false, reasons: ['fast: no sample for 61 s (sampling stalled)'] });
    expect(late.ready.ok).toBe(false);
    expect(late.state).toBe('fail');
  });

  it('not live while the event loop lags past the limit at p99', () => {
    const lag = { p50Ms: 300, p99Ms: 1500, maxMs: 2500, atMs: 0 };
    expect(evaluateHealth(base({ lag })).live.reasons).toEqual([
      'event loop lagging: p99 1500 ms over the last window',
    ]);
    expect(evaluateHealth(base({ lag: { ...lag, p99Ms: 200 } })).live.ok).toBe(true);
  });

  it('a device not read yet is not ready; overruns and an unsynchronised clock are warnings', () => {
    const input = base();
    input.status.devices[0] = { ...input.status.devices[0]!, ok: false, reads: 0 };
    input.status.devices[1] = { ...input.status.devices[1]!, overruns: 3 };
    input.status.clock = { synced: false };
    const health = evaluateHealth(input);
    expect(health.ready.reasons).toEqual(['slow: not read yet']);
    expect(health.warnings).toEqual([
      'fast: 3 sampling deadlines missed',
      'clock not synchronised: times may be wrong',
    ]);
  });

  it('dropped outbox messages are a warning that stays', () => {
    const sync = {
      link: { state: 'online', url: 'mqtt://b', clientId: 'c', attempts: 1, connects: 1, reconnects: 0 },
      session: 1,
      outbox: { telemetry: { messages: 0, bytes: 0, items: 0, dropped: 120 } },
    };
    const health = evaluateHealth(base({ sync }));
    expect(health).toMatchObject({
      state: 'warn',
      warnings: ['outbox dropped 120 messages (storage bound)'],
    });
  });
});
