import type { SimClock, Timing } from '../../src/device-kit/index.js';

/** A clock that only moves when slept on: simulated conversions finish instantly and deterministically. */
export class ManualClock implements SimClock, Timing {
  constructor(public t = 0) {}
  nowMs(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}
