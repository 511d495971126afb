/**
 * Detects a stalled main event loop from another thread and forces every actuator
 * to its safe value meanwhile (issue #2 §6). The main loop bumps a counter in
 * shared memory; the worker, blocked in Atomics.wait between checks, needs no event
 * loop of its own. Its writes are plain file writes (sysfs or the simulated lines),
 * which any thread can make. An output that cannot be driven that way (pigpio) makes
 * the worker end the process, so systemd's stop hook (`benchloop safe`) and the
 * restart's own safe start take over.
 */
import { Worker } from 'node:worker_threads';
import type { ForcedWrite } from '../device-kit/index.js';

export interface WatchdogTrip {
  stalledMs: number;
  results: Array<{ actuator: string; ok: boolean; error?: string }>;
}

export interface WatchdogOptions {
  timeoutMs: number;
  writes: Array<{ actuator: string; write: ForcedWrite }>;
  onTripped(trip: WatchdogTrip): void;
}

// Runs in the worker, from source text: it may use only what it requires itself.
function watchdogThread(): void {
  const { workerData, parentPort } = require('node:worker_threads');
  const fs = require('node:fs');
  const shared = new Int32Array(workerData.shared);
  const pollMs = Math.max(10, Math.floor(workerData.timeoutMs / 4));
  const nowMs = () => Number(process.hrtime.bigint() / 1000000n);
  let lastBeat = Atomics.load(shared, 0);
  let lastChangeMs = nowMs();
  let tripped = false;
  for (;;) {
    Atomics.wait(shared, 1, 0, pollMs);
    if (Atomics.load(shared, 1) !== 0) return;
    const beat = Atomics.load(shared, 0);
    if (beat !== lastBeat) {
      lastBeat = beat;
      lastChangeMs = nowMs();
      tripped = false;
      continue;
    }
    const stalledMs = nowMs() - lastChangeMs;
    if (tripped || stalledMs < workerData.timeoutMs) continue;
    tripped = true;
    let unsupported = false;
    const results = workerData.writes.map((w: { actuator: string; write: ForcedWrite }) => {
      if (w.write.kind !== 'file') {
        unsupported = true;
        return { actuator: w.actuator, ok: false, error: w.write.reason };
      }
      try {
        fs.writeFileSync(w.write.path, w.write.data);
        return { actuator: w.actuator, ok: true };
      } catch (error) {
        return { actuator: w.actuator, ok: false, error: (error as Error).message };
      }
    });
    fs.writeSync(2, `benchloop watchdog: main loop stalled ${stalledMs} ms; actuators forced safe\n`);
    parentPort.postMessage({ stalledMs, results });
    if (unsupported) {
      fs.writeSync(
        2,
        'benchloop watchdog: an output cannot be forced from this thread; ending the process\n',
      );
      process.kill(process.pid, 'SIGKILL');
    }
  }
}

export class Watchdog {
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private worker: Worker | undefined;
  private beat: NodeJS.Timeout | undefined;

  constructor(private readonly options: WatchdogOptions) {}

  start(): void {
    this.worker = new Worker(`(${watchdogThread.toString()})()`, {
      eval: true,
      workerData: {
        shared: this.shared.buffer,
        timeoutMs: this.options.timeoutMs,
        writes: this.options.writes,
      },
    });
    this.worker.on('message', (trip: WatchdogTrip) => this.options.onTripped(trip));
    this.worker.unref();
    this.beat = setInterval(
      () => Atomics.add(this.shared, 0, 1),
      Math.max(10, Math.floor(this.options.timeoutMs / 8)),
    );
    this.beat.unref();
  }

  async stop(): Promise<void> {
    if (this.beat) clearInterval(this.beat);
    Atomics.store(this.shared, 1, 1);
    Atomics.notify(this.shared, 1);
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
