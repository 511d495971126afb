/**
 * A simulated I2C bus: SMBus calls become the I2C transfers a chip sees on the wire
 * (SMBus 2.0 §5.5: command byte, then data; words low byte first), delivered to the
 * simulator at that address. An empty address NACKs as the Linux i2c-bcm2835 driver
 * reports it (EREMOTEIO), so drivers meet the same errors as on a Pi.
 */
import { type BusErrorCode, busError, hex, type I2cBus, type SimI2cDevice } from '../../device-kit/index.js';

export class SimI2cBus implements I2cBus {
  private readonly devices = new Map<number, SimI2cDevice>();
  private readonly unplugged = new Set<number>();
  private readonly faults = new Map<number, { code: BusErrorCode; remaining: number }>();
  private readonly latencyMs = new Map<number, number>();
  /** Transfers per address, for tests that check a driver's bus traffic. */
  readonly transfers = new Map<number, number>();

  constructor(readonly busNumber: number) {}

  attach(address: number, device: SimI2cDevice): void {
    if (this.devices.has(address))
      throw new Error(`sim i2c-${this.busNumber}: address ${hex(address)} is taken`);
    this.devices.set(address, device);
  }

  deviceAt(address: number): SimI2cDevice | undefined {
    return this.devices.get(address);
  }

  addresses(): number[] {
    return [...this.devices.keys()].sort((a, b) => a - b);
  }

  /** The chip stops acknowledging, as when its cable is pulled. */
  unplug(address: number): void {
    this.unplugged.add(address);
  }

  replug(address: number): void {
    this.unplugged.delete(address);
  }

  /** The next `count` transfers to `address` fail with `code` (EIO, a NACK mid-transfer, …). */
  failNext(address: number, code: BusErrorCode, count = 1): void {
    this.faults.set(address, { code, remaining: count });
  }

  /** Every transfer to `address` takes this long, for slow-device tests. */
  setLatency(address: number, ms: number): void {
    this.latencyMs.set(address, ms);
  }

  async readByte(address: number, command: number): Promise<number> {
    return this.transfer(address, (d) => {
      d.write(Uint8Array.of(command));
      return d.read(1)[0]!;
    });
  }

  async readWord(address: number, command: number): Promise<number> {
    return this.transfer(address, (d) => {
      d.write(Uint8Array.of(command));
      const bytes = d.read(2);
      return bytes[0]! | (bytes[1]! << 8);
    });
  }

  async readI2cBlock(address: number, command: number, length: number, buffer: Buffer) {
    return this.transfer(address, (d) => {
      d.write(Uint8Array.of(command));
      buffer.set(d.read(length));
      return { bytesRead: length, buffer };
    });
  }

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    await this.transfer(address, (d) => d.write(Uint8Array.of(command, byte & 0xff)));
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    await this.transfer(address, (d) => d.write(Uint8Array.of(command, word & 0xff, (word >> 8) & 0xff)));
  }

  async writeI2cBlock(address: number, command: number, length: number, buffer: Buffer) {
    return this.transfer(address, (d) => {
      d.write(Uint8Array.of(command, ...buffer.subarray(0, length)));
      return { bytesWritten: length, buffer };
    });
  }

  async i2cRead(address: number, length: number, buffer: Buffer) {
    return this.transfer(address, (d) => {
      buffer.set(d.read(length));
      return { bytesRead: length, buffer };
    });
  }

  async i2cWrite(address: number, length: number, buffer: Buffer) {
    return this.transfer(address, (d) => {
      d.write(Uint8Array.from(buffer.subarray(0, length)));
      return { bytesWritten: length, buffer };
    });
  }

  async receiveByte(address: number): Promise<number> {
    return this.transfer(address, (d) => d.read(1)[0]!);
  }

  async sendByte(address: number, byte: number): Promise<void> {
    await this.transfer(address, (d) => d.write(Uint8Array.of(byte & 0xff)));
  }

  async scan(startAddress = 0x03, endAddress = 0x77): Promise<number[]> {
    return this.addresses().filter((a) => a >= startAddress && a <= endAddress && !this.unplugged.has(a));
  }

  async close(): Promise<void> {}

  private async transfer<T>(address: number, run: (device: SimI2cDevice) => T): Promise<T> {
    const latency = this.latencyMs.get(address);
    if (latency) await new Promise((resolve) => setTimeout(resolve, latency));
    else await Promise.resolve();
    this.transfers.set(address, (this.transfers.get(address) ?? 0) + 1);
    const device = this.devices.get(address);
    if (!device || this.unplugged.has(address)) {
      throw busError('EREMOTEIO', `i2c-${this.busNumber} ${hex(address)}: no acknowledge`);
    }
    const fault = this.faults.get(address);
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults.delete(address);
      throw busError(fault.code, `i2c-${this.busNumber} ${hex(address)}: injected fault`);
    }
    return run(device);
  }
}
