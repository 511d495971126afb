/**
 * The hardware interfaces a driver may use. The I2C interface is the subset of
 * `i2c-bus`'s PromisifiedBus that drivers call, with the same names and arguments,
 * so one driver runs unchanged on the real bus, on i2c-stub and on the simulation.
 */
import { hex } from './bits.js';

export interface I2cBus {
  readonly busNumber: number;
  readByte(address: number, command: number): Promise<number>;
  /** SMBus word: the first byte on the wire is the low byte (SMBus 2.0 §5.5.5). */
  readWord(address: number, command: number): Promise<number>;
  readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeByte(address: number, command: number, byte: number): Promise<void>;
  writeWord(address: number, command: number, word: number): Promise<void>;
  writeI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesWritten: number; buffer: Buffer }>;
  /** Plain I2C read transfer (no command byte). */
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  /** Plain I2C write transfer (no command byte). */
  i2cWrite(
    address: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesWritten: number; buffer: Buffer }>;
  receiveByte(address: number): Promise<number>;
  sendByte(address: number, byte: number): Promise<void>;
  /** Addresses that acknowledge, probed the way i2cdetect does by default (quick write, or read byte for EEPROM ranges). */
  scan(startAddress?: number, endAddress?: number): Promise<number[]>;
  close(): Promise<void>;
}

/** Where a chip sits, as drivers' messages name it: `i2c-1 0x48`. */
export function i2cLocation(bus: I2cBus, address: number): string {
  return `i2c-${bus.busNumber} ${hex(address)}`;
}

export type Level = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';

export interface DigitalInputOptions {
  edge: Edge;
  /** Edges closer than this to the last accepted change are ignored (contact bounce). */
  debounceMs: number;
  activeLow: boolean;
}

export interface DigitalInput {
  read(): Promise<Level>;
  /** Called on every accepted (debounced) edge with the new level and a monotonic time in ms. Returns an unsubscribe function. */
  watch(listener: (level: Level, atMs: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * A write the safety watchdog can perform from its own thread while the main event
 * loop is stalled: a plain file write (sysfs `value`/`duty_cycle`, or the simulated
 * line's file), or nothing when the backend cannot be driven from another thread.
 */
export type ForcedWrite =
  | { kind: 'file'; path: string; data: string }
  | { kind: 'unsupported'; reason: string };

export interface DigitalOutput {
  write(level: Level): Promise<void>;
  read(): Promise<Level>;
  forcedWrite(level: Level): ForcedWrite;
  close(): Promise<void>;
}

export interface PwmOptions {
  frequencyHz: number;
}

export interface PwmOutput {
  /** Duty cycle as a fraction of the period, 0..1. */
  setDutyCycle(fraction: number): Promise<void>;
  dutyCycle(): number;
  forcedWrite(fraction: number): ForcedWrite;
  close(): Promise<void>;
}

export interface GpioProvider {
  /** `pin` is the board's GPIO (BCM) number; backends translate it to their own numbering. */
  digitalInput(pin: number, options: DigitalInputOptions): Promise<DigitalInput>;
  digitalOutput(pin: number, options: { activeLow: boolean; initial: Level }): Promise<DigitalOutput>;
  pwm(pin: number, options: PwmOptions): Promise<PwmOutput>;
}

/** Linux w1 (1-Wire) as sysfs exposes it: /sys/bus/w1/devices/<rom id>/w1_slave. */
export interface OneWireBus {
  listDevices(): Promise<string[]>;
  /** The text of the slave's `w1_slave` file; reading it makes the kernel run a conversion. */
  readSlave(romId: string): Promise<string>;
}

export type BusErrorCode = 'EREMOTEIO' | 'ENXIO' | 'EIO' | 'ETIMEDOUT' | 'ENOENT';

/** Errors shaped as Node's system errors, so drivers and the scheduler treat real and simulated faults alike. */
export function busError(code: BusErrorCode, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  error.code = code;
  return error;
}
