/**
 * MCP9808 driver: SMBus word transfers swapped into the chip's MSB-first order for the
 * 16-bit registers, an SMBus byte transfer for the 8-bit resolution register.
 */
import {
  type ChannelReading,
  DeviceFault,
  type I2cBus,
  i2cLocation,
  matchesIdentity,
  type RegisterExpectation,
  readRegister16,
  requireIdentity,
  type SensorDriver,
  type Timing,
  writeRegister16,
} from '../../src/device-kit/index.js';
import type { Mcp9808Options } from './index.js';
import {
  CONVERSION_MS,
  DEVICE_ID,
  decodeAmbient,
  decodeLimit,
  deviceIdOf,
  encodeLimit,
  isAlert,
  LIMIT_RANGE_C,
  MANUFACTURER_ID,
  Register,
  resolutionCode,
} from './registers.js';

type Io = { bus: I2cBus; address: number; timing: Timing };

const IDENTITY: RegisterExpectation[] = [
  { name: 'manufacturer ID', register: Register.manufacturerId, width: 16, expected: MANUFACTURER_ID },
  {
    name: 'device ID',
    register: Register.deviceId,
    width: 16,
    field: deviceIdOf,
    expected: DEVICE_ID,
    digits: 2,
  },
];

/** The limit register words for the options; without an alert window, limits no reading can cross. */
export function limitWords(alert: Mcp9808Options['alert']): Array<[register: number, word: number]> {
  return [
    [Register.upperLimit, encodeLimit(alert?.highC ?? LIMIT_RANGE_C.max)],
    [Register.lowerLimit, encodeLimit(alert?.lowC ?? LIMIT_RANGE_C.min)],
    [Register.criticalLimit, encodeLimit(alert?.criticalC ?? LIMIT_RANGE_C.max)],
  ];
}

const LIMIT_NAMES: Record<number, string> = {
  [Register.upperLimit]: 'TUPPER',
  [Register.lowerLimit]: 'TLOWER',
  [Register.criticalLimit]: 'TCRIT',
};

export class Mcp9808Driver implements SensorDriver {
  constructor(
    private readonly io: Io,
    private readonly options: Mcp9808Options,
  ) {}

  async init(): Promise<void> {
    await requireIdentity(this.io.bus, this.io.address, 'an MCP9808', IDENTITY);
    // CONFIG 0 (§5.1.1): continuous conversion (wakes a chip left in shutdown), no hysteresis,
    // ALERT pin off. The TA flags do not depend on the ALERT pin settings (§5.1.3, note 1).
    await this.writeRegister(Register.config, 0x0000);
    await this.io.bus.writeByte(
      this.io.address,
      Register.resolution,
      resolutionCode(this.options.resolution),
    );
    const limits = limitWords(this.options.alert);
    for (const [register, word] of limits) await this.writeRegister(register, word);
    // Win.Lock/Crit.Lock (§5.1.1) make the limits read-only until power-on reset; writes to them
    // are ignored without an error, so read them back rather than trust the alert channel.
    for (const [register, word] of limits) {
      const found = await this.readRegister(register);
      if ((found & 0x1ffc) !== word) {
        throw new DeviceFault(
          'config',
          `${i2cLocation(this.io.bus, this.io.address)}: MCP9808 ${LIMIT_NAMES[register]} reads ${decodeLimit(found)} °C after writing ${decodeLimit(word)} °C; ` +
            'the limits are locked (CONFIG Win.Lock/Crit.Lock) until the chip is power-cycled',
        );
      }
    }
    // TA reads 0 °C at power-up until the first conversion, and a conversion begun at the old
    // resolution may still be running: wait out the longest one, then one at the new resolution.
    await this.io.timing.sleep(CONVERSION_MS[3] + CONVERSION_MS[resolutionCode(this.options.resolution)]!);
  }

  /** Continuous conversion: TA always holds the latest result, its flags compared against the limits. */
  async read(): Promise<ChannelReading[]> {
    const ambient = decodeAmbient(await this.readRegister(Register.ambient));
    return [
      { channel: 'temperature', value: ambient.temperatureC, quality: 'good' },
      { channel: 'alert', value: isAlert(ambient) ? 1 : 0, quality: 'good' },
    ];
  }

  private readRegister(register: number): Promise<number> {
    return readRegister16(this.io.bus, this.io.address, register);
  }

  private writeRegister(register: number, value: number): Promise<void> {
    return writeRegister16(this.io.bus, this.io.address, register, value);
  }
}

/** Reads only the two ID registers; 0x18–0x1F is shared with accelerometers (LIS3DH) and others. */
export function identifyMcp9808(bus: I2cBus, address: number): Promise<boolean> {
  return matchesIdentity(bus, address, IDENTITY);
}
