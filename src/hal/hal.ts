/**
 * The hardware layer the runtime wires devices to. Two implementations: the real
 * one (i2c-bus, onoff, pigpio, sysfs; each loaded only when first used) and the
 * simulation (register-level chip simulators, simulated lines, a 1-Wire folder).
 */
import type { GpioProvider, I2cBus, OneWireBus } from '../device-kit/index.js';

export interface Hal {
  readonly kind: 'real' | 'sim';
  i2c(busNumber: number): Promise<I2cBus>;
  readonly gpio: GpioProvider;
  oneWire(): OneWireBus;
  close(): Promise<void>;
}
