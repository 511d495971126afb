/**
 * A PWM output: a heater or a fan through a MOSFET (value = duty cycle), or a hobby
 * servo (value 0..1 = the pulse width between `pulseUs.min` and `pulseUs.max`).
 */
import { defineGpioActuator, z } from '../../src/device-kit/index.js';
import { createPwmDriver } from './driver.js';

export const options = z.strictObject({
  mode: z.enum(['duty', 'servo']).default('duty'),
  /** Default 1000 Hz in duty mode, 50 Hz in servo mode (resolved by the driver, since it depends on `mode`). */
  frequencyHz: z.number().positive().optional(),
  /** Servo pulse widths for values 0 and 1; swap them to reverse the direction. */
  pulseUs: z
    .strictObject({ min: z.number().positive().default(1000), max: z.number().positive().default(2000) })
    .default({ min: 1000, max: 2000 }),
});

export type PwmOptions = z.infer<typeof options>;

export const definition = defineGpioActuator({
  type: 'pwm',
  title: 'PWM output: heater, fan, servo',
  kind: 'actuator',
  transport: 'gpio',
  options,
  values: { min: 0, max: 1, integer: false },
  create: (io, opts) => createPwmDriver(io, opts),
});
