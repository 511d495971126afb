/**
 * A lumped thermal model of an incubator chamber: heater power in, loss to the room
 * through the walls (much more with the door open), one heat capacity. Integrated
 * with the exact solution for constant power over a step, so any step size is stable.
 */
import type { IncubatorConfig } from '../config/schema.js';

export interface IncubatorState {
  chamberC: number;
  doorOpen: boolean;
}

export function incubatorStep(
  config: IncubatorConfig,
  state: IncubatorState,
  heaterDuty: number,
  dtS: number,
): IncubatorState {
  const lossWPerK = config.lossWPerK * (state.doorOpen ? config.doorOpenLossFactor : 1);
  const powerW = config.heaterW * Math.min(1, Math.max(0, heaterDuty));
  const equilibriumC = config.ambientC + powerW / lossWPerK;
  const decay = Math.exp((-lossWPerK * dtS) / config.heatCapacityJPerK);
  return { ...state, chamberC: equilibriumC + (state.chamberC - equilibriumC) * decay };
}

/** Magnus formula over water (Alduchov & Eskridge 1996): saturation vapour pressure in hPa. */
export function saturationVapourPressureHpa(temperatureC: number): number {
  return 6.1094 * Math.exp((17.625 * temperatureC) / (temperatureC + 243.04));
}

/** Heating air that holds the room's moisture lowers its relative humidity. */
export function chamberHumidityPct(config: IncubatorConfig, chamberC: number): number {
  const ratio = saturationVapourPressureHpa(config.ambientC) / saturationVapourPressureHpa(chamberC);
  return Math.min(100, Math.max(0, config.humidityPct * ratio));
}

/** The demo's door: open for `openS` at the start of every `everyS` period. */
export function doorOpenAt(config: IncubatorConfig, elapsedS: number): boolean {
  const { everyS, openS } = config.doorCycle;
  if (everyS <= 0) return false;
  const phase = elapsedS % everyS;
  return elapsedS >= everyS && phase < openS;
}

/** Small, seedable PRNG (mulberry32) with a Box-Muller normal: reproducible sensor noise. */
export function createNormalRandom(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
