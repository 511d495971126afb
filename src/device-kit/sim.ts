/**
 * What a chip simulator is: a device on a simulated bus that answers at the
 * transfer level as the real chip does, plus the knobs a bench or a test turns
 * (physical inputs, faults). Register-file helpers cover the two common shapes.
 */
import { swap16 } from './bits.js';
import { busError } from './bus.js';

export interface SimClock {
  /** Monotonic milliseconds; simulators use it for conversion timing. */
  nowMs(): number;
}

/** Physical quantities a simulator measures, by name: `temperatureC`, `pressurePa`, `humidityPct`, `ain0V`, … */
export type SimInputs = Record<string, number>;

/** Register contents by start register: `{ "0x88": "6e6b3267…" }` (hex bytes from that register on). */
export type RegisterDump = Record<string, string>;

export interface SimI2cDevice {
  /** One I2C write transfer: the bytes after the address byte. Throw a busError to NACK. */
  write(data: Uint8Array): void;
  /** One I2C read transfer of `length` bytes. */
  read(length: number): Uint8Array;
  setInputs(inputs: SimInputs): void;
  /** Loads registers from a dump and freezes measurement registers, for golden test cases. */
  loadDump?(dump: RegisterDump): void;
  /**
   * The chip's registers as SMBus sees them, for loading into Linux's i2c-stub:
   * byte registers (`bytes`) or 16-bit registers as SMBus words, low byte first (`words`).
   */
  registerImage?(): { bytes?: Map<number, number>; words?: Map<number, number> };
}

export interface SimOneWireDevice {
  readonly romId: string;
  setInputs(inputs: SimInputs): void;
  /** The text the kernel's w1_therm driver would put in `w1_slave` now. */
  renderW1Slave(): string;
}

/** `inputs[key]` when given; a value no sensor could see (NaN, ±Infinity) is refused rather than simulated. */
export function finiteInput(inputs: SimInputs, key: string, simulator: string): number | undefined {
  const value = inputs[key];
  if (value !== undefined && !Number.isFinite(value)) {
    throw new RangeError(`${simulator}: ${key} must be finite, not ${value}`);
  }
  return value;
}

export function parseDump(dump: RegisterDump): Array<{ start: number; bytes: Uint8Array }> {
  return Object.entries(dump).map(([start, hexBytes]) => {
    const clean = hexBytes.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`register dump ${start}: not hex bytes`);
    return { start: Number(start), bytes: Uint8Array.from(Buffer.from(clean, 'hex')) };
  });
}

interface RegisterHooks {
  /** Value returned when `register` is read; defaults to the stored byte. */
  onRead?(register: number): number;
  /** Called after `value` is written to `register`. */
  onWrite?(register: number, value: number): void;
}

/**
 * 8-bit registers behind an address pointer (BME280 and most Bosch/ST chips):
 * the first written byte sets the pointer; reads auto-increment from it.
 * `writeMode: 'pairs'` follows chips that take register/value pairs on write (BME280 §6.2.1).
 */
export class RegisterFile8 {
  readonly bytes = new Uint8Array(256);
  pointer = 0;

  constructor(
    private readonly writeMode: 'auto-increment' | 'pairs',
    private readonly hooks: RegisterHooks = {},
  ) {}

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.writeMode === 'pairs') {
      this.pointer = data[0]!;
      for (let i = 0; i + 1 < data.length; i += 2) this.store(data[i]!, data[i + 1]!);
      return;
    }
    this.pointer = data[0]!;
    for (let i = 1; i < data.length; i++) {
      this.store(this.pointer, data[i]!);
      this.pointer = (this.pointer + 1) & 0xff;
    }
  }

  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = this.hooks.onRead ? this.hooks.onRead(this.pointer) & 0xff : this.bytes[this.pointer]!;
      this.pointer = (this.pointer + 1) & 0xff;
    }
    return out;
  }

  load(dump: RegisterDump): void {
    for (const { start, bytes } of parseDump(dump)) this.bytes.set(bytes, start);
  }

  private store(register: number, value: number): void {
    this.bytes[register] = value;
    this.hooks.onWrite?.(register, value);
  }
}

/**
 * 16-bit registers behind a pointer register, sent most significant byte first
 * (TI ADS1115 §9.5.3, INA219 §8.5.6, TMP117 §7.5, Microchip MCP9808 §5.1).
 * A write of one byte sets the pointer; a write of three also writes the register.
 */
export class RegisterFile16 {
  readonly words = new Map<number, number>();
  pointer = 0;

  constructor(
    private readonly registerCount: number,
    private readonly hooks: RegisterHooks = {},
  ) {}

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    const register = data[0]!;
    if (register >= this.registerCount) throw busError('EREMOTEIO', `no register ${register}`);
    this.pointer = register;
    if (data.length >= 3) {
      this.words.set(register, ((data[1]! << 8) | data[2]!) & 0xffff);
      this.hooks.onWrite?.(register, this.words.get(register)!);
    }
  }

  read(length: number): Uint8Array {
    const word = this.hooks.onRead ? this.hooks.onRead(this.pointer) : (this.words.get(this.pointer) ?? 0);
    const out = new Uint8Array(length).fill(0xff);
    if (length > 0) out[0] = (word >> 8) & 0xff;
    if (length > 1) out[1] = word & 0xff;
    return out;
  }

  load(dump: RegisterDump): void {
    for (const [register, word] of dumpWords(dump)) this.words.set(register, word);
  }

  /** The registers as SMBus words (low byte first on the wire), for i2c-stub. */
  smbusWords(): Map<number, number> {
    const words = new Map<number, number>();
    for (let r = 0; r < this.registerCount; r++) {
      words.set(r, swap16(this.hooks.onRead ? this.hooks.onRead(r) : (this.words.get(r) ?? 0)));
    }
    return words;
  }
}

/** A dump of 16-bit registers, two bytes each, most significant first: [register, word] pairs. */
export function dumpWords(dump: RegisterDump): Array<[register: number, word: number]> {
  return parseDump(dump).flatMap(({ start, bytes }) =>
    Array.from({ length: bytes.length >> 1 }, (_, i): [number, number] => [
      start + i,
      (bytes[2 * i]! << 8) | bytes[2 * i + 1]!,
    ]),
  );
}

/**
 * A chip of 16-bit registers behind a pointer, as TI and Microchip sensors are: the
 * transfers, the pointer and the i2c-stub image are handled here; a chip says what its
 * registers read and what writes to them do, and brings its conversions up to the
 * clock before each transfer.
 */
export abstract class RegisterSim16 implements SimI2cDevice {
  protected readonly registers: RegisterFile16;

  constructor(registerCount: number) {
    this.registers = new RegisterFile16(registerCount, {
      onRead: (register) => this.readRegister(register),
      onWrite: (register, value) => this.writeRegister(register, value),
    });
  }

  write(data: Uint8Array): void {
    this.elapse();
    this.registers.write(data);
  }

  read(length: number): Uint8Array {
    this.elapse();
    const out = this.registers.read(length);
    this.afterRead(this.registers.pointer);
    return out;
  }

  registerImage(): { words: Map<number, number> } {
    this.elapse();
    return { words: this.registers.smbusWords() };
  }

  setInputs(inputs: SimInputs): void {
    // Conversions that ended before the change measured the old values.
    this.elapse();
    this.takeInputs(inputs);
  }

  /** Stores the inputs this chip measures; other keys are ignored. */
  protected abstract takeInputs(inputs: SimInputs): void;

  /** The register's value as a read transfer sends it; effects of reading go in afterRead, as registerImage() reads through this too. */
  protected abstract readRegister(register: number): number;

  /** A three-byte write transfer's effect; read-only registers ignore it. */
  protected abstract writeRegister(register: number, value: number): void;

  /** Completes what the clock has moved past; chips whose state depends on time only at reads need nothing here. */
  protected elapse(): void {}

  /** Effects of a read transfer on the chip, such as status flags that clear when read. */
  protected afterRead(_register: number): void {}
}
