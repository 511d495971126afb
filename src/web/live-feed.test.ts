import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelHistory } from './channel-history.js';
import { LiveFeed } from './live-feed.js';
import type { StatusView } from './status-view.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A response whose socket is full until the test drains it. */
class SlowResponse extends EventEmitter {
  readonly written: string[] = [];
  full = false;
  writeHead() {
    return this;
  }
  write(data: string): boolean {
    this.written.push(data.split('\n')[0]!);
    return !this.full;
  }
  end() {}
}

describe('LiveFeed with a slow client', () => {
  it('skips a client whose socket is full, then resyncs it with a snapshot once it drains', () => {
    vi.useFakeTimers();
    const feed = new LiveFeed(new ChannelHistory(), () => ({}) as StatusView, 1000);
    const res = new SlowResponse();
    feed.attach(res as unknown as ServerResponse);
    expect(res.written).toEqual(['retry: 2000', 'event: snapshot']);
    vi.advanceTimersByTime(1000);
    expect(res.written.at(-1)).toBe('event: update');
    res.full = true;
    vi.advanceTimersByTime(1000); // this write fills the socket
    const whileFull = res.written.length;
    vi.advanceTimersByTime(5000); // nothing more is written, so nothing piles up in memory
    expect(res.written.length).toBe(whileFull);
    res.full = false;
    res.emit('drain');
    vi.advanceTimersByTime(1000); // the tick after the missed ones: a snapshot, not an update
    expect(res.written.at(-1)).toBe('event: snapshot');
    vi.advanceTimersByTime(1000);
    expect(res.written.at(-1)).toBe('event: update');
    res.emit('close');
    expect(feed.clientCount).toBe(0);
  });
});
