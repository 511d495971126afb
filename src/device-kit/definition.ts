/**
 * What a device folder exports: a definition naming its transport, its config
 * options (a zod schema, merged into the node config schema), its channels, a
 * driver factory and its simulator. The runtime wires these; drivers never see
 * anything but the io they are given.
 */
import type { z } from 'zod';
import type { ForcedWrite, GpioProvider, I2cBus, OneWireBus } from './bus.js';
import type { SimClock, SimI2cDevice, SimOneWireDevice } from './sim.js';
import type { UcumCode } from './units.js';

export interface ChannelInfo {
  id: string;
  unit: UcumCode;
  description?: string;
}

export type Quality = 'good' | 'uncertain' | 'bad';

export interface ChannelReading {
  channel: string;
  /** null when the value could not be read; then quality is 'bad' and error says why. */
  value: number | null;
  quality?: Quality;
  error?: string;
}

export interface Timing {
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  nowMs(): number;
}

export interface SensorDriver {
  /** Identity check, reset, calibration, configuration. Throws a message naming bus, address, expected and found. */
  init(): Promise<void>;
  /** One measurement. Throws on bus errors, CRC mismatches and the like: the scheduler turns that into bad samples. */
  read(): Promise<ChannelReading[]>;
  /** Drivers that see changes between reads (GPIO edges) push them here as they happen. */
  onChange?(listener: (readings: ChannelReading[]) => void): void;
  close?(): Promise<void>;
}

export interface ActuatorDriver {
  /** Opens the output already at `initial` (the safe value), so the line never shows another level first. */
  init(initial: number): Promise<void>;
  write(value: number): Promise<void>;
  /** The write the watchdog thread performs to force `value` while the main loop is stalled. */
  forcedWrite(value: number): ForcedWrite;
  close(): Promise<void>;
}

interface DefinitionBase<O> {
  /** The config `type`, and the folder name. */
  type: string;
  title: string;
  /** Device-specific config keys (beside the common id/type/periodMs/channels and the transport's own keys). */
  options: z.ZodType<O>;
}

export interface I2cSensorDefinition<O = unknown> extends DefinitionBase<O> {
  kind: 'sensor';
  transport: 'i2c';
  /** Addresses the chip can take; the first is the default. */
  addresses: readonly number[];
  channels(options: O): ChannelInfo[];
  create(io: { bus: I2cBus; address: number; timing: Timing }, options: O): SensorDriver;
  /** For `benchloop scan`: reads (never writes) identity registers; true when this chip answers at the address. */
  identify(bus: I2cBus, address: number): Promise<boolean>;
  simulator(init: { clock: SimClock; address: number; options: O }): SimI2cDevice;
}

export interface OneWireSensorDefinition<O = unknown> extends DefinitionBase<O> {
  kind: 'sensor';
  transport: '1-wire';
  /** The family code that starts this chip's ROM ids (DS18B20: `28`). */
  familyCode: string;
  channels(options: O): ChannelInfo[];
  create(io: { bus: OneWireBus; romId: string; timing: Timing }, options: O): SensorDriver;
  simulator(init: { clock: SimClock; romId: string; options: O }): SimOneWireDevice;
}

export interface GpioSensorDefinition<O = unknown> extends DefinitionBase<O> {
  kind: 'sensor';
  transport: 'gpio';
  channels(options: O): ChannelInfo[];
  create(io: { gpio: GpioProvider; pin: number; timing: Timing }, options: O): SensorDriver;
}

export interface GpioActuatorDefinition<O = unknown> extends DefinitionBase<O> {
  kind: 'actuator';
  transport: 'gpio';
  /** Values the output can take at all, before any envelope: a relay takes only 0 and 1. */
  values: { min: number; max: number; integer: boolean };
  create(io: { gpio: GpioProvider; pin: number; timing: Timing }, options: O): ActuatorDriver;
}

export type SensorDefinition = I2cSensorDefinition | OneWireSensorDefinition | GpioSensorDefinition;
export type DeviceDefinition = SensorDefinition | GpioActuatorDefinition;

/** Helpers that keep each folder's option type while the registry holds them side by side. */
export const defineI2cSensor = <O>(d: I2cSensorDefinition<O>) => d as unknown as I2cSensorDefinition;
export const defineOneWireSensor = <O>(d: OneWireSensorDefinition<O>) =>
  d as unknown as OneWireSensorDefinition;
export const defineGpioSensor = <O>(d: GpioSensorDefinition<O>) => d as unknown as GpioSensorDefinition;
export const defineGpioActuator = <O>(d: GpioActuatorDefinition<O>) => d as unknown as GpioActuatorDefinition;

/** Thrown by drivers for faults that are not bus errors (wrong chip id, CRC mismatch, implausible value). */
export class DeviceFault extends Error {
  constructor(
    readonly reason: 'wrong-chip-id' | 'crc' | 'not-ready' | 'implausible' | 'config',
    message: string,
  ) {
    super(message);
    this.name = 'DeviceFault';
  }
}
