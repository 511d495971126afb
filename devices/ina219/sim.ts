/**
 * INA219 simulator at register level (SBOS448G §8.6): pointer + six 16-bit
 * registers, shunt and bus voltages from the physical inputs through the board's
 * shunt, the current and power registers from the calibration register by the
 * chip's own integer arithmetic, CNVR timing from the injected clock, OVF, and
 * power-on reset. Not modelled: ADC noise and offset, resolution below 12 bits
 * (results are quantised to the register LSB), triggered-mode timing details.
 */
import {
  type RegisterDump,
  RegisterSim16,
  type SimClock,
  type SimInputs,
  toUnsigned,
} from '../../src/device-kit/index.js';
import { BUS_LSB_V, CONFIG_RESET, cycleTimeMs, decodeConfig, Register, SHUNT_LSB_V } from './registers.js';

const MEASUREMENT_REGISTERS = [Register.shuntVoltage, Register.busVoltage, Register.power, Register.current];

interface Results {
  shunt: number;
  bus: number;
  current: number;
  power: number;
  overflow: boolean;
}

const ZERO: Results = { shunt: 0, bus: 0, current: 0, power: 0, overflow: false };

const clamp = (value: number, min: number, max: number) => Math.max(min, Math.min(max, value));

export class Ina219Sim extends RegisterSim16 {
  private currentA = 0;
  private busVoltageV = 0;
  private config = CONFIG_RESET;
  private calibration = 0;
  /** Results of the last completed conversion; registers hold them between conversions (§8.3.1). */
  private held: Results = ZERO;
  private modeWrittenAtMs = 0;
  private cnvrClearedAtMs = 0;
  private frozen: Map<number, number> | null = null;

  constructor(
    private readonly clock: SimClock,
    private readonly board: { shuntOhms: number },
  ) {
    super(6);
    this.reset();
  }

  /** `currentA` through the shunt (positive from IN+ to IN−) and `busVoltageV` at IN− against GND. */
  protected override takeInputs(inputs: SimInputs): void {
    if (inputs.currentA !== undefined) this.currentA = inputs.currentA;
    if (inputs.busVoltageV !== undefined) this.busVoltageV = inputs.busVoltageV;
  }

  /** Loads registers and freezes the four measurement registers; config and calibration stay writable. */
  loadDump(dump: RegisterDump): void {
    this.registers.load(dump);
    this.config = this.registers.words.get(Register.config) ?? this.config;
    this.calibration = (this.registers.words.get(Register.calibration) ?? this.calibration) & 0xfffe;
    this.frozen = new Map(MEASUREMENT_REGISTERS.map((r) => [r, this.registers.words.get(r) ?? 0]));
  }

  /** Power-on reset, as after a brown-out on VS; writing RST to config does the same (§8.6.2.1). */
  reset(): void {
    this.config = CONFIG_RESET;
    this.calibration = 0;
    this.held = ZERO;
    this.modeWrittenAtMs = this.clock.nowMs();
    this.cnvrClearedAtMs = this.modeWrittenAtMs;
  }

  protected override readRegister(register: number): number {
    if (register === Register.config) return this.config;
    if (register === Register.calibration) return this.calibration;
    const frozen = this.frozen?.get(register);
    if (frozen !== undefined) return frozen;
    const r = this.results();
    switch (register) {
      case Register.shuntVoltage:
        return toUnsigned(r.shunt, 16);
      case Register.busVoltage:
        return ((r.bus << 3) | (this.conversionReady() ? 0b10 : 0) | (r.overflow ? 0b1 : 0)) & 0xffff;
      case Register.power:
        return r.power;
      case Register.current:
        return toUnsigned(r.current, 16);
      default:
        return 0;
    }
  }

  protected override afterRead(register: number): void {
    // Reading the power register clears CNVR (§8.6.3.2).
    if (register === Register.power) this.cnvrClearedAtMs = this.clock.nowMs();
  }

  protected override writeRegister(register: number, value: number): void {
    if (register === Register.config) {
      if (value & 0x8000) {
        this.reset();
        return;
      }
      this.config = value;
      this.modeWrittenAtMs = this.clock.nowMs();
      this.cnvrClearedAtMs = this.modeWrittenAtMs;
    } else if (register === Register.calibration) {
      // Bit 0 is void (§8.6.4.1).
      this.calibration = value & 0xfffe;
    }
  }

  /** Conversions completed since the mode was written: continuous modes repeat, triggered modes run once. */
  private completedConversions(): { count: number; lastAtMs: number } {
    const mode = decodeConfig(this.config).mode;
    if ((mode & 0b011) === 0) return { count: 0, lastAtMs: this.modeWrittenAtMs };
    const cycle = cycleTimeMs(this.config);
    const elapsed = this.clock.nowMs() - this.modeWrittenAtMs;
    const count = mode & 0b100 ? Math.floor(elapsed / cycle) : Math.min(1, Math.floor(elapsed / cycle));
    return { count, lastAtMs: this.modeWrittenAtMs + count * cycle };
  }

  private conversionReady(): boolean {
    const { count, lastAtMs } = this.completedConversions();
    return count > 0 && lastAtMs > this.cnvrClearedAtMs;
  }

  private results(): Results {
    if (this.completedConversions().count > 0) this.held = this.compute();
    return this.held;
  }

  /** The chip's arithmetic (§8.6.3.3, §8.6.3.4), each register saturating at its field width. */
  private compute(): Results {
    const { busVoltageRangeV, shuntRangeMv } = decodeConfig(this.config);
    // Sign extension leaves 12 magnitude bits at /1, one more per PGA doubling (§8.6.3.1).
    const shuntMax = shuntRangeMv * 100 * 1.024 - 1;
    const shunt = clamp(
      Math.round((this.currentA * this.board.shuntOhms) / SHUNT_LSB_V),
      -shuntMax - 1,
      shuntMax,
    );
    // BD12 is 0 in the 16 V range (§8.6.3.2).
    const busMax = busVoltageRangeV === 16 ? 0x0fff : 0x1fff;
    const bus = clamp(Math.round(this.busVoltageV / BUS_LSB_V), 0, busMax);
    const exactCurrent = Math.trunc((shunt * this.calibration) / 4096);
    const current = clamp(exactCurrent, -32768, 32767);
    const exactPower = Math.trunc((Math.abs(current) * bus) / 5000);
    const power = Math.min(exactPower, 0xffff);
    return { shunt, bus, current, power, overflow: current !== exactCurrent || power !== exactPower };
  }
}
