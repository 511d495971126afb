/**
 * Training data from the simulated bench: the incubator's own physics
 * (src/bench/incubator-physics.ts) stepped once a second, as the daemon samples it,
 * with the demo's sensor noise and median filter, its PID rule and door interlock.
 * Door openings, heater faults (the heater delivering a fraction of its power),
 * heater cuts with the door shut (another interlock, a command: so a classifier
 * cannot take any sudden drop to 0 for the door), setpoint changes and stretches
 * of random duty are scattered through it, from a
 * fixed seed, so the same script always fits the same weights.
 */
import { createNormalRandom, incubatorStep } from '../../src/bench/incubator-physics.js';
import type { IncubatorConfig } from '../../src/config/schema.js';
import { type PidState, pidStep } from '../../src/control/pid.js';

/** The demo bench (deploy/examples/incubator.yaml). */
export const DEMO_BENCH: IncubatorConfig = {
  ambientC: 21,
  heaterW: 40,
  heatCapacityJPerK: 300,
  lossWPerK: 1.6,
  doorOpenLossFactor: 12,
  noiseC: 0.02,
  heaterPin: 18,
  doorPin: 17,
  doorCycle: { everyS: 0, openS: 20 },
  humidityPct: 45,
  pressurePa: 101_325,
};

export interface Record {
  /** Temperature as the daemon publishes it: noisy, median of 3. */
  temperatureC: number;
  /** Heater duty applied from this sample to the next. */
  duty: number;
  doorOpen: boolean;
  heaterFault: boolean;
}

/** A seeded uniform in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulate(seconds: number, seed: number, bench: IncubatorConfig = DEMO_BENCH): Record[] {
  const random = uniform(seed);
  const normal = createNormalRandom(seed + 1);
  let state = { chamberC: bench.ambientC + random() * 16, doorOpen: false };
  let pid: PidState = { integral: 0 };
  let duty = 0;
  let setpoint = 37;
  let doorLeft = 0;
  let faultLeft = 0;
  let faultEfficiency = 1;
  let randomLeft = 0;
  let cutLeft = 0;
  const raw: number[] = [];
  const records: Record[] = [];
  for (let k = 0; k < seconds; k++) {
    if (doorLeft === 0 && random() < 1 / 240) doorLeft = 5 + Math.floor(random() * 40);
    if (faultLeft === 0 && random() < 1 / 600) {
      faultLeft = 60 + Math.floor(random() * 300);
      faultEfficiency = random() * 0.3;
    }
    if (randomLeft === 0 && random() < 1 / 900) randomLeft = 60 + Math.floor(random() * 120);
    if (cutLeft === 0 && doorLeft === 0 && random() < 1 / 240) cutLeft = 5 + Math.floor(random() * 40);
    if (k % 1800 === 0) setpoint = 30 + random() * 10;
    state = { ...state, doorOpen: doorLeft > 0 };
    raw.push(state.chamberC + bench.noiseC * normal());
    const measured = median(raw.slice(-3));
    if (state.doorOpen || cutLeft > 0) {
      duty = 0; // the door interlock, or another reason to cut the heater
      pid = { integral: 0 };
    } else if (randomLeft > 0) {
      if (k % 10 === 0) duty = Math.min(1, Math.max(0, duty + (random() - 0.5)));
    } else {
      const step = pidStep(
        { kp: 0.25, ki: 0.004, kd: 0, setpoint, min: 0, max: 1, maxStep: 0.5 },
        pid,
        measured,
        k * 1000,
        duty,
      );
      pid = step.state;
      duty = step.output;
    }
    const fault = faultLeft > 0;
    records.push({ temperatureC: measured, duty, doorOpen: state.doorOpen, heaterFault: fault });
    state = incubatorStep(bench, state, duty * (fault ? faultEfficiency : 1), 1);
    doorLeft = Math.max(0, doorLeft - 1);
    faultLeft = Math.max(0, faultLeft - 1);
    randomLeft = Math.max(0, randomLeft - 1);
    cutLeft = Math.max(0, cutLeft - 1);
  }
  return records;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Every window of `n` consecutive records, with the record at its end (what the label describes). */
export function windows(records: readonly Record[], n: number): Array<{ window: Record[]; last: Record }> {
  const out: Array<{ window: Record[]; last: Record }> = [];
  for (let k = n; k <= records.length; k++) {
    const window = records.slice(k - n, k);
    out.push({ window, last: window.at(-1)! });
  }
  return out;
}
