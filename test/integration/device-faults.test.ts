/**
 * Each kind of fault, through the whole sampling path (real driver, simulated bus,
 * sampler, scheduler): bad samples with a reason, one `device.error` per streak,
 * retries with backoff, `device.recovered`, and the other devices never stalled.
 */
import { describe, expect, it } from 'vitest';
import { definition as bme280 } from '../../devices/bme280/index.js';
import type { Bme280Sim } from '../../devices/bme280/sim.js';
import { definition as sht3x } from '../../devices/sht3x/index.js';
import type { Sht3xSim } from '../../devices/sht3x/sim.js';
import type { I2cSensorDefinition } from '../../src/device-kit/index.js';
import { EventHub, Hub, type NodeEvent, type Sample } from '../../src/events/event-hub.js';
import { SimI2cBus } from '../../src/hal/sim/sim-i2c-bus.js';
import { DeviceSampler } from '../../src/scheduler/device-sampler.js';
import { PeriodicScheduler } from '../../src/scheduler/periodic-scheduler.js';
import { FakeTimers } from '../support/fake-timers.js';
import { ManualClock } from '../support/manual-clock.js';

function rig() {
  const timers = new FakeTimers();
  const bus = new SimI2cBus(1);
  const clock = new ManualClock();
  const scheduler = new PeriodicScheduler(timers);
  const events: NodeEvent[] = [];
  const samples: Sample[] = [];
  const eventHub = new EventHub(
    () => timers.now,
    (e) => {
      throw e;
    },
  );
  eventHub.subscribe((e) => events.push(e));
  const sampleHub = new Hub<Sample[]>((e) => {
    throw e;
  });
  sampleHub.subscribe((batch) => samples.push(...batch));
  const add = <S>(id: string, definition: I2cSensorDefinition, address: number, periodMs = 1000) => {
    const options = definition.options.parse({});
    const sim = definition.simulator({ clock, address, options });
    sim.setInputs({ temperatureC: 25, humidityPct: 40, pressurePa: 100_000 });
    bus.attach(address, sim);
    const driver = definition.create({ bus, address, timing: clock }, options);
    const sampler = new DeviceSampler(
      { id, type: definition.type, periodMs, channels: {} },
      definition.channels(options),
      driver,
      {
        events: eventHub,
        samples: sampleHub,
        nowMs: () => timers.now,
        retry: { initialMs: 1000, maxMs: 8000 },
      },
    );
    scheduler.add(sampler.task());
    return sim as S;
  };
  const of = (device: string) => samples.filter((s) => s.d === device);
  return { timers, bus, scheduler, events, samples, add, of };
}

describe('device faults through the sampler', () => {
  it('unplugged: bad samples with the reason, one device.error, backoff doubling, recovery with re-init on replug', async () => {
    const r = rig();
    r.add<Bme280Sim>('chamber', bme280, 0x76);
    r.scheduler.start();
    await r.timers.advance(0);
    expect(r.of('chamber').every((s) => s.v !== null)).toBe(true);
    r.bus.unplug(0x76);
    await r.timers.advance(20_000);
    const failures = r.events.filter((e) => e.type === 'device.error');
    expect(failures).toEqual([
      {
        type: 'device.error',
        t: 1000,
        device: 'chamber',
        error: 'EREMOTEIO: i2c-1 0x76: no acknowledge',
        code: 'EREMOTEIO',
      },
    ]);
    // Attempts at 1 s, then backoff 1, 2, 4, 8, 8 s on the 1 s grid.
    const badTimes = [
      ...new Set(
        r
          .of('chamber')
          .filter((s) => s.v === null)
          .map((s) => s.t),
      ),
    ];
    expect(badTimes).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(r.of('chamber').find((s) => s.v === null)).toMatchObject({
      q: 'bad',
      e: 'EREMOTEIO: i2c-1 0x76: no acknowledge',
    });

    r.bus.replug(0x76);
    await r.timers.advance(10_000);
    expect(r.events.at(-1)).toMatchObject({
      type: 'device.recovered',
      device: 'chamber',
      failedForMs: 23_000,
      failures: 5,
    });
    expect(r.of('chamber').at(-1)!.v).not.toBeNull();
    await r.scheduler.stop();
  });

  it('a transient EIO costs one sample and recovers at the next period', async () => {
    const r = rig();
    r.add('chamber', bme280, 0x76);
    r.scheduler.start();
    await r.timers.advance(0);
    r.bus.failNext(0x76, 'EIO');
    await r.timers.advance(3000);
    const temperature = r.of('chamber').filter((s) => s.c === 'temperature');
    expect(temperature.map((s) => s.v === null)).toEqual([false, true, false, false]);
    expect(r.events.map((e) => e.type)).toEqual(['device.error', 'device.recovered']);
    await r.scheduler.stop();
  });

  it('a wrong chip names bus, address, expected and found id', async () => {
    const r = rig();
    const sim = r.add<Bme280Sim>('chamber', bme280, 0x77);
    sim.setChipId(0x58);
    r.scheduler.start();
    await r.timers.advance(0);
    const error = r.events[0]!.error as string;
    expect(error).toMatch(/i2c-1/);
    expect(error).toMatch(/0x77/);
    expect(error).toMatch(/0x60/);
    expect(error).toMatch(/0x58/);
    expect(r.events[0]!.code).toBe('wrong-chip-id');
    await r.scheduler.stop();
  });

  it('a CRC mismatch is a bad sample, never a value', async () => {
    const r = rig();
    const sim = r.add<Sht3xSim>('air', sht3x, 0x44);
    r.scheduler.start();
    await r.timers.advance(0);
    sim.corruptNextCrc(1);
    await r.timers.advance(2000);
    const humidity = r.of('air').filter((s) => s.c === 'humidity');
    expect(humidity[1]).toMatchObject({ v: null, q: 'bad' });
    expect(humidity[1]!.e).toMatch(/CRC/i);
    expect(humidity[2]!.v).toBeCloseTo(40, 1);
    expect(r.events[0]).toMatchObject({ type: 'device.error', code: 'crc' });
    await r.scheduler.stop();
  });

  it('a failing or slow device never stalls the others', async () => {
    const r = rig();
    r.add('dead', bme280, 0x76, 100);
    r.add('slow', sht3x, 0x44, 100);
    r.add('healthy', bme280, 0x77, 100);
    r.bus.unplug(0x76);
    r.bus.setLatency(0x44, 0);
    r.scheduler.start();
    await r.timers.advance(5000);
    const healthy = r.of('healthy').filter((s) => s.c === 'temperature');
    expect(healthy.length).toBe(51);
    expect(healthy.every((s) => s.v !== null)).toBe(true);
    expect(r.scheduler.stats('healthy')!.overruns).toBe(0);
    await r.scheduler.stop();
  });
});
