import { describe, expect, it } from 'vitest';
import { ChannelHistory } from './channel-history.js';

const sample = (t: number, v: number | null) => ({ d: 'chamber', c: 'temperature', t, v });

describe('ChannelHistory', () => {
  it('keeps one point per bucket (the latest) and only the window', () => {
    const history = new ChannelHistory(() => 0, 10_000, 2_000);
    for (let t = 0; t <= 20_000; t += 500) history.add([sample(t, t / 1000)]);
    const points = history.snapshot()['chamber/temperature']!;
    // Buckets of 2 s keep their last sample (…1 500); the one ending at 9 500 fell out of the 10 s window.
    expect(points).toEqual([
      [11_500, 11.5],
      [13_500, 13.5],
      [15_500, 15.5],
      [17_500, 17.5],
      [19_500, 19.5],
      [20_000, 20],
    ]);
    expect(history.latest('chamber/temperature')).toEqual(sample(20_000, 20));
  });

  it('keeps a bad sample as a gap (null) and starts over when the clock steps back', () => {
    const history = new ChannelHistory(() => 0, 60_000, 1_000);
    history.add([sample(50_000, 1), sample(51_000, null)]);
    expect(history.snapshot()['chamber/temperature']).toEqual([
      [50_000, 1],
      [51_000, null],
    ]);
    history.add([sample(20_000, 2)]);
    expect(history.snapshot()['chamber/temperature']).toEqual([[20_000, 2]]);
  });

  it('remembers when each device was last heard from', () => {
    let now = 5;
    const history = new ChannelHistory(() => now);
    history.add([sample(1, 1)]);
    now = 9;
    history.add([{ d: 'door', c: 'level', t: 2, v: 0 }]);
    expect([history.lastSeen('chamber'), history.lastSeen('door'), history.lastSeen('fan')]).toEqual([
      5,
      9,
      undefined,
    ]);
  });
});
