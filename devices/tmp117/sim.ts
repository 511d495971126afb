/**
 * TMP117 simulator: the register map of SNOSD82D §7.6 behind a pointer register, with
 * conversions timed by the injected clock (Table 7-7), Data_Ready and alert flags that
 * clear when read (§7.6.1.2), therm/alert comparison (§7.4.4) and soft reset.
 * Time is evaluated lazily: every transfer first completes the conversions due by now.
 */
import {
  dumpWords,
  finiteInput,
  type RegisterDump,
  RegisterSim16,
  type SimClock,
  type SimInputs,
  toSigned,
  toUnsigned,
} from '../../src/device-kit/index.js';
import { activeMs, cycleMs } from './conversion-timing.js';
import {
  Config,
  decodeConfiguration,
  LSB_C,
  modeOf,
  POWER_ON_RESULT,
  Register,
  setMod,
} from './registers.js';

/** Specified operating range (SNOSD82D §1): the simulated die never reports beyond it. */
const RANGE_C = { min: -55, max: 150 } as const;
const STATUS_BITS = Config.highAlert | Config.lowAlert | Config.dataReady;
/** EEPROM_UL: only EUN (bit 15) is writable; EEPROM programming itself is not simulated. */
const EEPROM_UNLOCK_WRITABLE = 0x8000;

export class Tmp117Sim extends RegisterSim16 {
  private temperatureC = 25;
  private deviceId = 0x0117;
  private config: number = Config.reset;
  private status = 0;
  private result = POWER_ON_RESULT;
  /** After loadDump: the result register keeps the dumped value; conversions still end and flag. */
  private frozen = false;
  private stuck = false;
  private cycleStartMs = 0;
  private conversionsDone = 0;
  private oneShotDoneAtMs: number | undefined;

  constructor(private readonly clock: SimClock) {
    super(16);
    this.registers.words.set(Register.eeprom1, 0);
    this.registers.words.set(Register.eeprom2, 0);
    this.registers.words.set(Register.eeprom3, 0);
    this.reset();
  }

  protected override takeInputs(inputs: SimInputs): void {
    this.temperatureC = finiteInput(inputs, 'temperatureC', 'tmp117 sim') ?? this.temperatureC;
  }

  loadDump(dump: RegisterDump): void {
    for (const [register, word] of dumpWords(dump)) this.load(register, word);
    this.frozen = true;
  }

  /** Fault: another chip, or a TMP117 with a different die revision in bits 15:12. */
  setDeviceId(id: number): void {
    this.deviceId = id & 0xffff;
  }

  /** Fault: conversions never complete, so Data_Ready never sets. Released, timing restarts now. */
  stickConversion(on: boolean): void {
    this.elapse();
    if (this.stuck && !on) this.restartTiming();
    this.stuck = on;
  }

  protected override readRegister(register: number): number {
    switch (register) {
      case Register.temperature:
        return this.result;
      case Register.configuration:
        return this.config | this.status;
      case Register.eepromUnlock:
        return (this.registers.words.get(register) ?? 0) & EEPROM_UNLOCK_WRITABLE;
      case Register.deviceId:
        return this.deviceId;
      default:
        return this.registers.words.get(register) ?? 0;
    }
  }

  protected override writeRegister(register: number, value: number): void {
    if (register !== Register.configuration) return;
    if (value & Config.softReset) {
      this.reset();
      return;
    }
    const before = decodeConfiguration(this.config);
    this.config = value & Config.writable;
    const after = decodeConfiguration(this.config);
    const retimed =
      after.mode !== before.mode ||
      after.cycleCode !== before.cycleCode ||
      after.averagingCode !== before.averagingCode;
    // A one-shot write always starts a conversion; a continuous cycle restarts only when its timing changes.
    if (after.mode === 'one-shot' || retimed) this.restartTiming();
  }

  private load(register: number, word: number): void {
    if (register > Register.deviceId) throw new Error(`tmp117 sim: no register ${register} in dump`);
    if (register === Register.temperature) this.result = word;
    else if (register === Register.deviceId) this.deviceId = word;
    else if (register === Register.configuration) {
      this.config = word & Config.writable;
      this.status = word & STATUS_BITS;
      this.restartTiming();
    } else this.registers.words.set(register, word);
  }

  /** §7.6.1.2: a configuration read clears Data_Ready and, in alert mode, the alert flags; a result read clears Data_Ready. */
  protected override afterRead(register: number): void {
    if (register === Register.temperature) this.status &= ~Config.dataReady;
    if (register !== Register.configuration) return;
    const cleared = this.config & Config.therm ? Config.dataReady : STATUS_BITS;
    this.status &= ~cleared;
  }

  /** Soft reset (Soft_Reset bit, §7.6.1.2): EEPROM defaults reload, the result reads -256 °C again. */
  private reset(): void {
    this.config = Config.reset;
    this.status = 0;
    this.result = POWER_ON_RESULT;
    this.registers.words.set(Register.highLimit, 0x6000);
    this.registers.words.set(Register.lowLimit, 0x8000);
    this.registers.words.set(Register.eepromUnlock, 0);
    this.registers.words.set(Register.temperatureOffset, 0);
    this.restartTiming();
  }

  private restartTiming(): void {
    this.cycleStartMs = this.clock.nowMs();
    this.conversionsDone = 0;
    const { averagingCode } = decodeConfiguration(this.config);
    this.oneShotDoneAtMs =
      modeOf(this.config) === 'one-shot' ? this.cycleStartMs + activeMs(averagingCode) : undefined;
  }

  protected override elapse(): void {
    if (this.stuck) return;
    const now = this.clock.nowMs();
    const { mode, cycleCode, averagingCode } = decodeConfiguration(this.config);
    if (mode === 'one-shot' && this.oneShotDoneAtMs !== undefined && now >= this.oneShotDoneAtMs) {
      this.oneShotDoneAtMs = undefined;
      this.config = setMod(this.config, 'shutdown');
      this.completeConversion();
    } else if (mode === 'continuous') {
      const elapsed = now - this.cycleStartMs - activeMs(averagingCode);
      const done = elapsed >= 0 ? Math.floor(elapsed / cycleMs(cycleCode, averagingCode)) + 1 : 0;
      // Inputs only change between transfers, so the conversions since the last one all saw the same value.
      if (done > this.conversionsDone) {
        this.conversionsDone = done;
        this.completeConversion();
      }
    }
  }

  private completeConversion(): void {
    if (!this.frozen) {
      const clamped = Math.min(RANGE_C.max, Math.max(RANGE_C.min, this.temperatureC));
      const offset = toSigned(this.registers.words.get(Register.temperatureOffset) ?? 0, 16);
      const code = Math.round(clamped / LSB_C) + offset;
      this.result = toUnsigned(Math.min(0x7fff, Math.max(-0x8000, code)), 16);
    }
    const t = toSigned(this.result, 16);
    const high = toSigned(this.registers.words.get(Register.highLimit) ?? 0, 16);
    const low = toSigned(this.registers.words.get(Register.lowLimit) ?? 0, 16);
    this.status |= Config.dataReady;
    if (this.config & Config.therm) {
      // §7.4.4.2: HIGH_Alert with hysteresis down to TLow; LOW_Alert stays 0.
      if (t > high) this.status |= Config.highAlert;
      else if (t < low) this.status &= ~Config.highAlert;
      this.status &= ~Config.lowAlert;
    } else {
      // §7.4.4.1: flags latch until the configuration register is read.
      if (t > high) this.status |= Config.highAlert;
      if (t < low) this.status |= Config.lowAlert;
    }
  }
}
