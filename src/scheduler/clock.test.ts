import { describe, expect, it } from 'vitest';
import { NodeClock } from './clock.js';

function sources(start: { wall: number; mono: number }) {
  const s = { wall: start.wall, mono: start.mono, markers: new Set<string>() };
  return {
    s,
    api: { wallMs: () => s.wall, monoMs: () => s.mono, exists: (p: string) => s.markers.has(p) },
  };
}

describe('NodeClock', () => {
  it('stamps monotonic time plus the wall offset and follows a forward NTP step', () => {
    const { s, api } = sources({ wall: 1_000_000, mono: 50 });
    const clock = new NodeClock(['/run/systemd/timesync/synchronized'], api);
    expect(clock.nowMs()).toBe(1_000_000);
    s.mono += 500;
    s.wall += 500;
    expect(clock.nowMs()).toBe(1_000_500);
    // NTP steps the system clock forward by an hour.
    s.wall += 3_600_000;
    expect(clock.nowMs()).toBe(1_000_500);
    expect(clock.refresh()).toEqual({ steppedMs: 3_600_000 });
    expect(clock.nowMs()).toBe(4_600_500);
  });

  it('never goes backwards when the system clock is stepped back', () => {
    const { s, api } = sources({ wall: 10_000_000, mono: 0 });
    const clock = new NodeClock([], api);
    s.mono = 1000;
    s.wall = 10_001_000;
    const before = clock.nowMs();
    s.wall -= 60_000;
    clock.refresh();
    expect(clock.nowMs()).toBe(before);
    s.mono += 61_000;
    s.wall += 61_000;
    expect(clock.nowMs()).toBe(before + 1000);
  });

  it('knows whether the system clock is synchronised from the timesyncd marker', () => {
    const { s, api } = sources({ wall: 0, mono: 0 });
    const clock = new NodeClock(['/run/systemd/timesync/synchronized'], api);
    expect(clock.status).toEqual({ synced: false });
    s.markers.add('/run/systemd/timesync/synchronized');
    clock.refresh();
    expect(clock.status).toEqual({ synced: true, source: '/run/systemd/timesync/synchronized' });
  });

  it('ignores drift below a second (no step)', () => {
    const { s, api } = sources({ wall: 5000, mono: 0 });
    const clock = new NodeClock([], api);
    s.wall += 300;
    expect(clock.refresh()).toBeUndefined();
  });
});
