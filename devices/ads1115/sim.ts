/**
 * ADS1115 simulator at register level: pointer + four 16-bit registers (§9.6),
 * single-shot conversions timed by the injected clock, continuous mode, the ideal
 * transfer function with clipping (§9.5.4). Not modelled: the comparator and
 * ALERT/RDY pin, input limits beyond the supply rails, noise and offset.
 */
import {
  type RegisterDump,
  RegisterSim16,
  type SimClock,
  type SimInputs,
} from '../../src/device-kit/index.js';
import {
  CONFIG_SETTINGS_MASK,
  type ConversionSettings,
  conversionTimeMs,
  decodeConfig,
  MUX_PINS,
  RESET,
  Register,
  voltsToCode,
} from './registers.js';

const INPUT_NAMES = ['ain0V', 'ain1V', 'ain2V', 'ain3V'] as const;

export class Ads1115Sim extends RegisterSim16 {
  private readonly volts = [0, 0, 0, 0];
  /** Bits 14..0 of Config as last written; OS is status on read. */
  private settings: number = RESET.config & CONFIG_SETTINGS_MASK;
  private conversionCode: number = RESET.conversion;
  private pending: { endsAtMs: number; settings: ConversionSettings } | null = null;
  private continuousSinceMs: number | null = null;
  private frozen = false;
  private stuck = false;
  private oscillatorError = 0;

  constructor(private readonly clock: SimClock) {
    super(4);
    this.reset();
  }

  /** Keys `ain0V`..`ain3V`: each input's voltage against GND. */
  protected override takeInputs(inputs: SimInputs): void {
    INPUT_NAMES.forEach((name, pin) => {
      const value = inputs[name];
      if (value !== undefined) this.volts[pin] = value;
    });
  }

  /** Loads registers and freezes the conversion result; conversions still take their time. */
  loadDump(dump: RegisterDump): void {
    this.registers.load(dump);
    this.conversionCode = this.registers.words.get(Register.conversion) ?? RESET.conversion;
    this.settings = (this.registers.words.get(Register.config) ?? RESET.config) & CONFIG_SETTINGS_MASK;
    this.frozen = true;
  }

  /** Power-on state (§9.4.1); the general-call reset of §9.5.1.2 has the same effect. */
  reset(): void {
    this.registers.words.set(Register.loThresh, RESET.loThresh);
    this.registers.words.set(Register.hiThresh, RESET.hiThresh);
    this.settings = RESET.config & CONFIG_SETTINGS_MASK;
    this.conversionCode = RESET.conversion;
    this.pending = null;
    this.continuousSinceMs = null;
  }

  /** Fault: a started conversion never completes, so OS stays 0. */
  stickConversion(on: boolean): void {
    this.stuck = on;
  }

  /** The internal oscillator runs this fraction slow (0.1 = conversions take 10% longer; §9.3.5 allows ±10%). */
  setOscillatorError(fraction: number): void {
    this.oscillatorError = fraction;
  }

  protected override readRegister(register: number): number {
    this.settle();
    switch (register) {
      case Register.conversion:
        return this.continuousSinceMs !== null && !this.frozen ? this.continuousCode() : this.conversionCode;
      case Register.config:
        return this.settings | (this.busy() ? 0 : 0x8000);
      default:
        return this.registers.words.get(register) ?? 0;
    }
  }

  protected override writeRegister(register: number, value: number): void {
    // The conversion register is read-only; what RegisterFile16 stored for it is never read back.
    if (register !== Register.config) return;
    this.settle();
    this.settings = value & CONFIG_SETTINGS_MASK;
    const fields = decodeConfig(value);
    if (!fields.singleShot) {
      this.pending = null;
      this.continuousSinceMs = this.clock.nowMs();
      return;
    }
    this.continuousSinceMs = null;
    // OS=1 starts a conversion only from power-down; during a conversion it has no effect (§9.6.3).
    if (value & 0x8000 && !this.pending) {
      this.pending = { endsAtMs: this.clock.nowMs() + this.periodMs(fields.dataRate), settings: fields };
    }
  }

  private busy(): boolean {
    return this.pending !== null || this.continuousSinceMs !== null;
  }

  private settle(): void {
    if (!this.pending || this.stuck || this.clock.nowMs() < this.pending.endsAtMs) return;
    if (!this.frozen) this.conversionCode = this.codeFor(this.pending.settings);
    this.pending = null;
  }

  /** In continuous mode the register holds the latest completed conversion; none before the first period ends. */
  private continuousCode(): number {
    const fields = decodeConfig(this.settings);
    if (this.clock.nowMs() - this.continuousSinceMs! >= this.periodMs(fields.dataRate)) {
      this.conversionCode = this.codeFor(fields);
    }
    return this.conversionCode;
  }

  private periodMs(dataRate: ConversionSettings['dataRate']): number {
    return conversionTimeMs(dataRate) * (1 + this.oscillatorError);
  }

  private codeFor(settings: ConversionSettings): number {
    const [positive, negative] = MUX_PINS[settings.mux];
    const differential = this.volts[positive]! - (negative === null ? 0 : this.volts[negative]!);
    return voltsToCode(differential, settings.fullScaleV);
  }
}
