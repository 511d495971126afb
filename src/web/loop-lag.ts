/**
 * Event-loop lag over fixed windows (`monitorEventLoopDelay`). The histogram is read
 * and reset on a timer, not on each scrape: `/metrics`, `/healthz` and the page then
 * see the same window, whoever asks and however often.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

export interface LagWindow {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** When the window closed (monotonic ms). */
  atMs: number;
}

const NS_PER_MS = 1e6;
/** 10 ms: fine enough for a 2 s watchdog, cheap enough for a Pi. */
const RESOLUTION_MS = 10;

export class LoopLag {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private last: LagWindow | undefined;

  constructor(readonly windowMs = 10_000) {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), windowMs);
    this.timer.unref();
  }

  /** The last complete window; before the first one closes, the one in progress. */
  window(): LagWindow | undefined {
    return this.last ?? this.read();
  }

  private read(): LagWindow | undefined {
    const h = this.histogram;
    if (h.count === 0) return undefined;
    // On Node 20 the histogram records the whole timer interval: the lag is what exceeds it.
    const ms = (ns: number) => Math.max(0, ns / NS_PER_MS - RESOLUTION_MS);
    return {
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      atMs: performance.now(),
    };
  }

  private roll(): void {
    this.last = this.read() ?? this.last;
    this.histogram.reset();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
