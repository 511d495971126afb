/**
 * MCP9808 simulator: registers 00h–08h of DS25095 §5.1 behind a pointer register,
 * continuous conversion every tCONV of the selected resolution (from the injected clock),
 * the TA word and its flags latched at the end of each conversion, shutdown, and limit locks.
 * Time is evaluated lazily: every transfer first completes the conversions due by now.
 */
import {
  finiteInput,
  parseDump,
  type RegisterDump,
  RegisterSim16,
  type SimClock,
  type SimInputs,
  toSigned,
  toUnsigned,
} from '../../src/device-kit/index.js';
import {
  AMBIENT_LSB_C,
  AmbientFlag,
  CONVERSION_MS,
  Config,
  MANUFACTURER_ID,
  RESOLUTIONS_C,
  Register,
} from './registers.js';

/** Specified operating range (DS25095 features): the simulated die never reports beyond it. */
const RANGE_C = { min: -40, max: 125 } as const;
/** Limit registers keep bits 12:2 (§5.1.2). */
const LIMIT_BITS = 0x1ffc;
const LOCK_BITS = Config.criticalLock | Config.windowLock;

export class Mcp9808Sim extends RegisterSim16 {
  private temperatureC = 25;
  /** TA<12:0> as a signed count of 0.0625 °C. */
  private code = 0;
  /** The TA word, flags included, latched at the end of each conversion; 0000h at power-on (§5.1.3). */
  private ambient = 0;
  /** After loadDump with a TA word: that word is returned as is, flags included. */
  private frozenAmbient: number | undefined;
  private frozen = false;
  private config = 0;
  private readonly limits = new Map<number, number>([
    [Register.upperLimit, 0],
    [Register.lowerLimit, 0],
    [Register.criticalLimit, 0],
  ]);
  private resolution = 3;
  private manufacturer: number = MANUFACTURER_ID;
  private device = 0x0400;
  private cycleStartMs: number;
  private conversionsDone = 0;

  constructor(private readonly clock: SimClock) {
    super(Register.resolution + 1);
    this.cycleStartMs = clock.nowMs();
  }

  override write(data: Uint8Array): void {
    // The resolution register is one byte (§5.1.6): pointer + data is a two-byte write.
    if (data.length === 2 && data[0] === Register.resolution) {
      super.write(data.subarray(0, 1));
      this.setResolution(data[1]!);
      return;
    }
    super.write(data);
  }

  protected override takeInputs(inputs: SimInputs): void {
    this.temperatureC = finiteInput(inputs, 'temperatureC', 'mcp9808 sim') ?? this.temperatureC;
  }

  /** 16-bit registers take two dump bytes each, the resolution register one. */
  loadDump(dump: RegisterDump): void {
    for (const { start, bytes } of parseDump(dump)) {
      let register = start;
      for (let i = 0; i < bytes.length; register++) {
        if (register === Register.resolution) {
          this.resolution = bytes[i]! & 0b11;
          i += 1;
        } else {
          if (i + 1 >= bytes.length)
            throw new Error(`mcp9808 sim: register ${register} needs two dump bytes`);
          this.load(register, (bytes[i]! << 8) | bytes[i + 1]!);
          i += 2;
        }
      }
    }
    this.frozen = true;
  }

  /** Fault: another chip answering. `device` is the Device ID byte (upper byte of 07h). */
  setIds(manufacturer: number, device: number): void {
    this.manufacturer = manufacturer & 0xffff;
    this.device = (device & 0xff) << 8;
  }

  protected override readRegister(register: number): number {
    switch (register) {
      case Register.config:
        return this.config;
      case Register.upperLimit:
      case Register.lowerLimit:
      case Register.criticalLimit:
        return this.limits.get(register)!;
      case Register.ambient:
        return this.frozenAmbient ?? this.ambient;
      case Register.manufacturerId:
        return this.manufacturer;
      case Register.deviceId:
        return this.device;
      case Register.resolution:
        // An 8-bit register: a read returns this byte first (the high byte of the 16-bit view),
        // so the i2c-stub image has it in the word's low byte, where an SMBus byte read finds it.
        return this.resolution << 8;
      default:
        return 0;
    }
  }

  /** Three-byte writes: the read-only registers ignore them, and locked limits too (§5.1.1). */
  protected override writeRegister(register: number, value: number): void {
    if (register === Register.config) this.setConfig(value);
    else if (register === Register.resolution) this.setResolution(value >> 8);
    else if (this.limits.has(register) && !this.isLocked(register))
      this.limits.set(register, value & LIMIT_BITS);
  }

  private load(register: number, word: number): void {
    if (register === Register.ambient) this.frozenAmbient = word;
    else if (register === Register.config) this.config = word & Config.writable & ~Config.interruptClear;
    else if (this.limits.has(register)) this.limits.set(register, word & LIMIT_BITS);
    else if (register === Register.manufacturerId) this.manufacturer = word;
    else if (register === Register.deviceId) this.device = word;
    else if (register !== 0) throw new Error(`mcp9808 sim: no register ${register} in dump`);
  }

  private isLocked(register: number): boolean {
    const lock = register === Register.criticalLimit ? Config.criticalLock : Config.windowLock;
    return (this.config & lock) !== 0;
  }

  /** Lock bits stay set until power-on reset; Int.Clear always reads 0 (§5.1.1). */
  private setConfig(value: number): void {
    const wasShutdown = (this.config & Config.shutdown) !== 0;
    this.config = (value & Config.writable & ~Config.interruptClear) | (this.config & LOCK_BITS);
    if (wasShutdown && !(this.config & Config.shutdown)) this.restartTiming();
  }

  private setResolution(byte: number): void {
    this.resolution = byte & 0b11;
    this.restartTiming();
  }

  private restartTiming(): void {
    this.cycleStartMs = this.clock.nowMs();
    this.conversionsDone = 0;
  }

  protected override elapse(): void {
    if (this.config & Config.shutdown) return;
    const done = Math.floor((this.clock.nowMs() - this.cycleStartMs) / CONVERSION_MS[this.resolution]!);
    if (done <= this.conversionsDone) return;
    this.conversionsDone = done;
    if (!this.frozen) {
      const step = RESOLUTIONS_C[this.resolution]!;
      const clamped = Math.min(RANGE_C.max, Math.max(RANGE_C.min, this.temperatureC));
      this.code = Math.round(clamped / step) * (step / AMBIENT_LSB_C);
    }
    this.ambient = this.ambientWord();
  }

  /** TA<15:13> compare the result with the limits of the moment (§5.1.3); THYST is 0 in this model. */
  private ambientWord(): number {
    const limit = (register: number) => toSigned(this.limits.get(register)!, 13);
    let word = toUnsigned(this.code, 13);
    if (this.code >= limit(Register.criticalLimit)) word |= AmbientFlag.critical;
    if (this.code > limit(Register.upperLimit)) word |= AmbientFlag.upper;
    if (this.code < limit(Register.lowerLimit)) word |= AmbientFlag.lower;
    return word;
  }
}
