/** TMP117 driver: 16-bit registers, MSB first, moved as swapped SMBus words (§7.5). */
import {
  type ChannelReading,
  type I2cBus,
  i2cLocation,
  matchesIdentity,
  pollUntil,
  type RegisterExpectation,
  readRegister16,
  requireIdentity,
  type SensorDriver,
  type Timing,
  writeRegister16,
} from '../../src/device-kit/index.js';
import { activeMs, averagingCode, cycleCode, cycleMs } from './conversion-timing.js';
import type { Tmp117Options } from './index.js';
import {
  alertFromStatus,
  type ConfigFields,
  type ConfigStatus,
  DEVICE_ID,
  decodeConfiguration,
  decodeTemperature,
  deviceIdOf,
  encodeConfiguration,
  encodeTemperature,
  POWER_ON_RESULT,
  Register,
} from './registers.js';

/** Limits no result can cross (the register's extremes), for when no alert window is configured. */
const OPEN_LIMITS = { lowC: -256, highC: 255.9921875 };

/**
 * Data_Ready polls after the nominal conversion time, a tenth of it apart: about twice the
 * nominal time in all, room for the internal oscillator's tolerance on a real chip.
 */
const READY_POLLS = 10;

const IDENTITY: RegisterExpectation[] = [
  {
    name: 'Device_ID DID',
    register: Register.deviceId,
    width: 16,
    field: deviceIdOf,
    expected: DEVICE_ID,
    digits: 3,
  },
];

type Io = { bus: I2cBus; address: number; timing: Timing };

export class Tmp117Driver implements SensorDriver {
  private readonly fields: ConfigFields;
  private lastAlert: 0 | 1 = 0;
  /** True while a one-shot may have ended unread (a failed cycle): its latched flags must be cleared first. */
  private flagsStale = true;

  constructor(
    private readonly io: Io,
    private readonly options: Tmp117Options,
  ) {
    this.fields = {
      mode: options.conversionMode === 'continuous' ? 'continuous' : 'shutdown',
      cycleCode: cycleCode(options.conversionCycleMs),
      averagingCode: averagingCode(options.averaging),
      therm: options.alertMode === 'therm',
    };
  }

  async init(): Promise<void> {
    await requireIdentity(this.io.bus, this.io.address, 'a TMP117', IDENTITY);
    const limits = this.options.alert ?? OPEN_LIMITS;
    await this.writeRegister(Register.highLimit, encodeTemperature(limits.highC));
    await this.writeRegister(Register.lowLimit, encodeTemperature(limits.lowC));
    // Shutdown until the first one-shot; or continuous with the configured cycle and averaging.
    await this.writeRegister(Register.configuration, encodeConfiguration(this.fields));
    // Flags latched under the old limits would otherwise show up in the first cycle (§7.4.4.1).
    await this.readRegister(Register.configuration);
    this.flagsStale = false;
    if (this.fields.mode === 'continuous') {
      // Wait for a conversion judged against the new limits, so every read knows the alert state.
      // Whether the config write restarts the cycle is not documented: allow a whole cycle more.
      const cycle = cycleMs(this.fields.cycleCode, this.fields.averagingCode);
      const status = await this.awaitDataReady(activeMs(this.fields.averagingCode), cycle / 10, 13);
      this.lastAlert = alertFromStatus(status, 0);
    }
  }

  async read(): Promise<ChannelReading[]> {
    return this.fields.mode === 'continuous' ? this.readContinuous() : this.readOneShot();
  }

  /** §7.4.3: MOD = 11 runs one averaged conversion, then the chip returns to shutdown. */
  private async readOneShot(): Promise<ChannelReading[]> {
    if (this.flagsStale) await this.readRegister(Register.configuration);
    this.flagsStale = true;
    await this.writeRegister(
      Register.configuration,
      encodeConfiguration({ ...this.fields, mode: 'one-shot' }),
    );
    const conversionMs = activeMs(this.fields.averagingCode);
    const status = await this.awaitDataReady(conversionMs, conversionMs / 10, READY_POLLS);
    this.flagsStale = false;
    const raw = await this.readRegister(Register.temperature);
    return toReadings(raw, alertFromStatus(status, 0));
  }

  /** §7.4.1: the result register holds the latest conversion; one configuration read per cycle. */
  private async readContinuous(): Promise<ChannelReading[]> {
    const status = decodeConfiguration(await this.readRegister(Register.configuration));
    const raw = await this.readRegister(Register.temperature);
    this.lastAlert = alertFromStatus(status, this.lastAlert);
    return toReadings(raw, this.lastAlert);
  }

  /**
   * Reading the configuration register clears its flags (§7.6.1.2), so each poll's read is
   * the one the flags are decoded from: the read that shows Data_Ready carries them.
   */
  private awaitDataReady(firstWaitMs: number, intervalMs: number, attempts: number): Promise<ConfigStatus> {
    const { bus, address, timing } = this.io;
    return pollUntil(
      timing,
      {
        firstWaitMs,
        intervalMs,
        attempts,
        what: `${i2cLocation(bus, address)}: TMP117 conversion`,
        symptom: 'Data_Ready not set',
      },
      async () => decodeConfiguration(await this.readRegister(Register.configuration)),
      (status) => status.dataReady,
    );
  }

  private readRegister(register: number): Promise<number> {
    return readRegister16(this.io.bus, this.io.address, register);
  }

  private writeRegister(register: number, value: number): Promise<void> {
    return writeRegister16(this.io.bus, this.io.address, register, value);
  }
}

export function toReadings(raw: number, alert: 0 | 1): ChannelReading[] {
  if (raw === POWER_ON_RESULT) {
    const error = 'result register holds its power-on value -256 °C (0x8000): no conversion has completed';
    return [
      { channel: 'temperature', value: null, quality: 'bad', error },
      { channel: 'alert', value: null, quality: 'bad', error },
    ];
  }
  return [
    { channel: 'temperature', value: decodeTemperature(raw), quality: 'good' },
    { channel: 'alert', value: alert, quality: 'good' },
  ];
}

/** Reads only Device_ID: other chips at 0x48–0x4B (ADS1115, TMP102, …) see a harmless register read. */
export function identifyTmp117(bus: I2cBus, address: number): Promise<boolean> {
  return matchesIdentity(bus, address, IDENTITY);
}
