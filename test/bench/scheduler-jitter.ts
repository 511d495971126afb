/**
 * Scheduler lateness (actual start − deadline) with 10 simulated BME280s read
 * through the full sampling path (driver, simulated bus, pipeline, hubs), at
 * 100 Hz and 1 kHz per device. Baseline: a bare chained setTimeout loop on
 * absolute deadlines at the same total rate: the best a Node timer does here.
 */
import { definition as bme280 } from '../../devices/bme280/index.js';
import { EventHub, Hub, type Sample } from '../../src/events/event-hub.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { DeviceSampler } from '../../src/scheduler/device-sampler.js';
import { PeriodicScheduler } from '../../src/scheduler/periodic-scheduler.js';
import { type Benchmark, type BenchResult, percentile } from './harness.js';

const devices = 10;
const durationMs = 5000;
const timing = {
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  nowMs: () => performance.now(),
};

async function measureScheduler(
  periodMs: number,
): Promise<{ lateness: number[]; samples: number; overruns: number }> {
  const bus = new SimI2cBus(1);
  const scheduler = new PeriodicScheduler();
  const events = new EventHub(
    () => Date.now(),
    () => undefined,
  );
  const samples = new Hub<Sample[]>(() => undefined);
  let count = 0;
  samples.subscribe((batch) => {
    count += batch.length;
  });
  const options = bme280.options.parse({ mode: 'normal', standbyMs: 0.5 });
  for (let i = 0; i < devices; i++) {
    const address = 0x76 + (i % 2);
    const busForDevice = i < 2 ? bus : new SimI2cBus(2 + i);
    busForDevice.attach(address, bme280.simulator({ clock: timing, address, options }));
    const driver = bme280.create({ bus: busForDevice, address, timing }, options);
    const entry = { id: `d${i}`, type: 'bme280', periodMs, channels: {} };
    const sampler = new DeviceSampler(entry, bme280.channels(options), driver, {
      events,
      samples,
      nowMs: () => Date.now(),
      retry: { initialMs: 100, maxMs: 1000 },
    });
    scheduler.add(sampler.task());
  }
  scheduler.start();
  await new Promise((r) => setTimeout(r, durationMs));
  await scheduler.stop();
  let overruns = 0;
  for (let i = 0; i < devices; i++) overruns += scheduler.stats(`d${i}`)!.overruns;
  return { lateness: scheduler.lateness.snapshot(), samples: count, overruns };
}

async function measureBareTimer(periodMs: number): Promise<number[]> {
  const lateness: number[] = [];
  const origin = performance.now();
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      lateness.push(now - (origin + k * periodMs));
      k = Math.floor((now - origin) / periodMs) + 1;
      if (now - origin >= durationMs) return resolve();
      setTimeout(tick, Math.max(0, origin + k * periodMs - performance.now()));
    };
    setTimeout(tick, periodMs);
  });
  return lateness;
}

export const schedulerJitter: Benchmark = {
  name: 'scheduler-jitter',
  description: `lateness of ${devices} simulated BME280s at 100 Hz and 1 kHz each, vs a bare setTimeout loop`,
  async run() {
    const results: BenchResult[] = [];
    for (const [label, periodMs] of [
      ['100 Hz', 10],
      ['1 kHz', 1],
    ] as const) {
      const ours = await measureScheduler(periodMs);
      const bare = await measureBareTimer(periodMs / devices);
      for (const p of [50, 99, 100]) {
        results.push({
          name: `${label}: lateness ${p === 100 ? 'max' : `p${p}`}`,
          value: percentile(ours.lateness, p),
          unit: 'ms',
          baseline: { name: 'bare timer', value: percentile(bare, p) },
        });
      }
      results.push({
        name: `${label}: samples/s delivered`,
        value: ours.samples / (durationMs / 1000),
        unit: '/s',
        baseline: { name: 'asked for', value: (devices * 3 * 1000) / periodMs },
        better: 'higher',
      });
      results.push({
        name: `${label}: overruns per device per s`,
        value: ours.overruns / devices / (durationMs / 1000),
        unit: '/s',
      });
    }
    return results;
  },
};
