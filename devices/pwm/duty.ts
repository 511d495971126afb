/** From an actuator value 0..1 to the duty fraction the PWM line is set to. */
import { DeviceFault } from '../../src/device-kit/index.js';

export type PwmMode = 'duty' | 'servo';

export interface PwmSettings {
  mode: PwmMode;
  frequencyHz?: number | undefined;
  pulseUs: { min: number; max: number };
}

/**
 * 1 kHz is fast against a heater's thermal time constant and a fan's inertia, and slow
 * enough that a MOSFET gated straight from a 3.3 V pin spends little time switching;
 * hobby servos expect a frame every 20 ms (50 Hz; TowerPro SG90 datasheet).
 */
export const defaultFrequencyHz: Record<PwmMode, number> = { duty: 1000, servo: 50 };

export function frequencyFor(settings: PwmSettings): number {
  return settings.frequencyHz ?? defaultFrequencyHz[settings.mode];
}

export function checkValue(value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`a PWM value is 0..1, not ${value}`);
  }
  return value;
}

/** Value 0 gives `pulseUs.min`, 1 gives `pulseUs.max`, linearly between; the pulse over the period is the duty. */
export function servoDuty(value: number, pulseUs: { min: number; max: number }, frequencyHz: number): number {
  const widthUs = pulseUs.min + checkValue(value) * (pulseUs.max - pulseUs.min);
  return (widthUs * frequencyHz) / 1_000_000;
}

/** The value → duty mapping for these settings; refuses servo pulses longer than the period. */
export function dutyMapping(settings: PwmSettings): (value: number) => number {
  const frequencyHz = frequencyFor(settings);
  if (settings.mode === 'duty') return checkValue;
  const periodUs = 1_000_000 / frequencyHz;
  const longestUs = Math.max(settings.pulseUs.min, settings.pulseUs.max);
  if (longestUs > periodUs) {
    throw new DeviceFault(
      'config',
      `pwm servo: a ${longestUs} µs pulse does not fit the ${periodUs} µs period of ${frequencyHz} Hz`,
    );
  }
  return (value) => servoDuty(value, settings.pulseUs, frequencyHz);
}
