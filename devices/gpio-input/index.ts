/**
 * A digital input line: a door or lid switch, a flow meter's or a fan's pulse output.
 * Reports the level, the count of edges and the pulse rate; pushes the level on each
 * debounced edge so an interlock reacts at once rather than at the next sample.
 */
import { defineGpioSensor, Ucum, z } from '../../src/device-kit/index.js';
import { createGpioInputDriver } from './driver.js';

export const options = z.strictObject({
  /** Edges that push a `level` reading as they happen; `none` leaves the level to periodic samples. */
  edge: z.enum(['none', 'rising', 'falling', 'both']).default('both'),
  /** onoff's `debounceTimeout`: the line must stay quiet this long before a change counts. 0 for clean (Hall, opto) outputs. */
  debounceMs: z.number().min(0).max(10_000).default(20),
  /** The switch pulls the line low when closed (pull-up wiring), so low reads as 1. */
  activeLow: z.boolean().default(false),
  /** Edges that `count` and `rate` count; a pulse is counted once unless this is `both`. */
  countEdge: z.enum(['rising', 'falling', 'both']).default('rising'),
});

export type GpioInputOptions = z.infer<typeof options>;

export const definition = defineGpioSensor({
  type: 'gpio-input',
  title: 'Digital input: switch, pulse counter, tachometer',
  kind: 'sensor',
  transport: 'gpio',
  options,
  channels: () => [
    { id: 'level', unit: Ucum.dimensionless, description: 'Logical level of the line (1 = active)' },
    { id: 'count', unit: Ucum.dimensionless, description: 'Counted edges since start' },
    { id: 'rate', unit: Ucum.hertz, description: 'Pulses per second since the previous read' },
  ],
  create: (io, opts) => createGpioInputDriver(io, opts),
});
