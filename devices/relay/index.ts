/**
 * A relay (or any on/off load: a solenoid valve through a MOSFET, an SSR) on one
 * GPIO line. Values are 0 (off) and 1 (on); `activeLow` serves relay boards whose
 * input energises the coil when pulled low.
 */
import { defineGpioActuator, z } from '../../src/device-kit/index.js';
import { createRelayDriver } from './driver.js';

export const options = z.strictObject({
  /** The board energises the relay when its input is low (most optocoupled relay modules). */
  activeLow: z.boolean().default(false),
});

export type RelayOptions = z.infer<typeof options>;

export const definition = defineGpioActuator({
  type: 'relay',
  title: 'Relay or on/off output',
  kind: 'actuator',
  transport: 'gpio',
  options,
  values: { min: 0, max: 1, integer: true },
  create: (io, opts) => createRelayDriver(io, opts),
});
