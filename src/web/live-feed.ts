/**
 * The page's live feed over Server-Sent Events. A new client gets a `snapshot`
 * (status, the plotted minutes, recent events and replies); then one `update` per
 * tick carries the status, the latest sample of each channel that changed and the
 * events and replies since the last tick. Throttled for a phone: whatever the
 * sampling rate, a client gets at most one message per tick. A client whose socket
 * is full is skipped, not buffered for: when it drains it gets a fresh snapshot, so a
 * slow phone never grows the node's memory. The tick runs only while someone watches.
 */
import type { ServerResponse } from 'node:http';
import type { NodeEvent, Sample } from '../events/event-hub.js';
import { type ChannelHistory, channelKey } from './channel-history.js';
import type { StatusView } from './status-view.js';
import type { ReplyLike } from './web-deps.js';

export const MAX_CLIENTS = 16;
const RECENT_EVENTS = 50;
const RECENT_REPLIES = 20;
/** A burst (a failing bus emits per retry) reaches the page as this many plus a count of the rest. */
const EVENTS_PER_TICK = 50;

export type FeedReply = ReplyLike & { origin: 'local' | 'remote' };

interface Client {
  res: ServerResponse;
  /** Missed ticks while its socket was full: it needs a snapshot before updates make sense again. */
  stale: boolean;
  blocked: boolean;
}

export class LiveFeed {
  private readonly clients = new Set<Client>();
  private readonly pending = new Map<string, Sample>();
  private newEvents: NodeEvent[] = [];
  private skippedEvents = 0;
  private newReplies: FeedReply[] = [];
  private readonly recentEvents: NodeEvent[] = [];
  private readonly recentReplies: FeedReply[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly history: ChannelHistory,
    private readonly status: () => StatusView,
    private readonly tickMs: number,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  onSamples(samples: readonly Sample[]): void {
    if (this.clients.size === 0) return;
    for (const sample of samples) this.pending.set(channelKey(sample), sample);
  }

  onEvent(event: NodeEvent): void {
    pushBounded(this.recentEvents, event, RECENT_EVENTS);
    if (this.clients.size === 0) return;
    if (this.newEvents.length < EVENTS_PER_TICK) this.newEvents.push(event);
    else this.skippedEvents += 1;
  }

  onReply(reply: FeedReply): void {
    pushBounded(this.recentReplies, reply, RECENT_REPLIES);
    if (this.clients.size > 0) pushBounded(this.newReplies, reply, RECENT_REPLIES);
  }

  /** Takes over the response: headers, the first snapshot, then updates until the client goes. */
  attach(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // A reverse proxy must not hold the stream back in its buffer.
      'X-Accel-Buffering': 'no',
    });
    const client: Client = { res, stale: false, blocked: false };
    this.clients.add(client);
    res.on('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopTicking();
    });
    res.on('drain', () => {
      client.blocked = false;
    });
    // EventSource waits this long before reconnecting after the node restarts.
    this.write(client, 'retry: 2000\n\n');
    this.write(client, frame('snapshot', this.snapshot()));
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
  }

  private snapshot() {
    return {
      status: this.status(),
      history: this.history.snapshot(),
      historyWindowMs: this.history.windowMs,
      historyBucketMs: this.history.bucketMs,
      events: [...this.recentEvents],
      replies: [...this.recentReplies],
    };
  }

  private tick(): void {
    const update = {
      status: this.status(),
      samples: [...this.pending.values()],
      events: this.newEvents,
      skippedEvents: this.skippedEvents,
      replies: this.newReplies,
    };
    this.pending.clear();
    this.newEvents = [];
    this.skippedEvents = 0;
    this.newReplies = [];
    const updateFrame = frame('update', update);
    let snapshotFrame: string | undefined;
    for (const client of this.clients) {
      if (client.blocked) {
        client.stale = true;
        continue;
      }
      if (client.stale) {
        snapshotFrame ??= frame('snapshot', this.snapshot());
        client.stale = false;
        this.write(client, snapshotFrame);
      } else this.write(client, updateFrame);
    }
  }

  private write(client: Client, data: string): void {
    if (!client.res.write(data)) client.blocked = true;
  }

  private stopTicking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.newEvents = [];
    this.newReplies = [];
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    this.stopTicking();
  }
}

function frame(event: string, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one `data:` line always holds the whole message.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}
