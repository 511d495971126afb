/**
 * SHT3x-DIS driver: single-shot measurements without clock stretching, every reply
 * word CRC-checked. The decoding lives in protocol.ts; this file only moves bytes.
 */
import {
  type ChannelReading,
  DeviceFault,
  hex,
  type I2cBus,
  i2cLocation,
  pollUntil,
  type SensorDriver,
  type Timing,
} from '../../src/device-kit/index.js';
import {
  CLEAR_STATUS,
  COMMAND_GAP_MS,
  commandBytes,
  decodeWords,
  describeMismatch,
  HEATER_ON,
  humidityFromRaw,
  MEASURE_COMMAND,
  MEASUREMENT_MAX_MS,
  READ_STATUS,
  type Repeatability,
  SOFT_RESET,
  SOFT_RESET_MAX_MS,
  STATUS,
  temperatureFromRaw,
} from './protocol.js';

export interface Sht3xOptions {
  repeatability: Repeatability;
  heater: boolean;
}

/**
 * Reads after the maximum measurement time should succeed at once; the retries only
 * absorb a chip running slower than its datasheet (it NACKs a read until done, §4.4),
 * so they are few and short and a dead chip still fails within a few milliseconds.
 */
export const READ_ATTEMPTS = 4;
export const RETRY_DELAY_MS = 2;

function isNack(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EREMOTEIO';
}

export function createSht3xDriver(
  io: { bus: I2cBus; address: number; timing: Timing },
  options: Sht3xOptions,
): SensorDriver {
  const { bus, address, timing } = io;
  const where = i2cLocation(bus, address);

  const send = async (command: number) => {
    await bus.i2cWrite(address, 2, commandBytes(command));
  };

  /** True when the read got its bytes, false when it was NACKed; other bus errors propagate. */
  const tryRead = (length: number, buffer: Buffer) =>
    bus.i2cRead(address, length, buffer).then(
      () => true,
      (error: unknown) => {
        if (isNack(error)) return false;
        throw error;
      },
    );

  /** The reply to the command just sent, `waitMs` after it. */
  const receive = async (length: number, waitMs: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length);
    await pollUntil(
      timing,
      {
        firstWaitMs: waitMs,
        intervalMs: RETRY_DELAY_MS,
        attempts: READ_ATTEMPTS,
        what: `${where}: SHT3x reply`,
        symptom: `${READ_ATTEMPTS} reads NACKed; the chip NACKs while it measures, datasheet §4.4`,
      },
      () => tryRead(length, buffer),
      (answered) => answered,
    );
    return buffer;
  };

  const readStatus = async (): Promise<number> => {
    await send(READ_STATUS);
    const decoded = decodeWords(await receive(3, COMMAND_GAP_MS), ['status']);
    if ('mismatch' in decoded)
      throw new DeviceFault('crc', `${where}: ${describeMismatch(decoded.mismatch)}`);
    return decoded.words[0]!;
  };

  return {
    async init() {
      await send(SOFT_RESET);
      await timing.sleep(SOFT_RESET_MAX_MS);
      const status = await readStatus();
      if ((status & STATUS.reservedZero) !== 0) {
        throw new DeviceFault(
          'wrong-chip-id',
          `${where}: expected an SHT3x status register with reserved bits ${hex(STATUS.reservedZero, 4)} clear (datasheet Table 18), found ${hex(status, 4)}`,
        );
      }
      // A chip that just took our soft reset reports it (Table 18 bit 4); another chip, or one ignoring commands, does not.
      if ((status & STATUS.resetDetected) === 0) {
        throw new DeviceFault(
          'wrong-chip-id',
          `${where}: expected the status register to show the soft reset just sent (bit 4, datasheet Table 18), found ${hex(status, 4)}`,
        );
      }
      await send(CLEAR_STATUS);
      await timing.sleep(COMMAND_GAP_MS);
      // The reset turned the heater off (Table 18 default), so only switching it on needs a command.
      if (options.heater) {
        await send(HEATER_ON);
        await timing.sleep(COMMAND_GAP_MS);
        const after = await readStatus();
        if ((after & STATUS.heaterOn) === 0) {
          throw new DeviceFault(
            'config',
            `${where}: heater requested but the status register reads ${hex(after, 4)} (heater bit 13 clear)`,
          );
        }
      }
    },

    async read(): Promise<ChannelReading[]> {
      await send(MEASURE_COMMAND[options.repeatability]);
      const waitMs = MEASUREMENT_MAX_MS[options.repeatability];
      const decoded = decodeWords(await receive(6, waitMs), ['temperature', 'humidity']);
      if ('mismatch' in decoded)
        throw new DeviceFault('crc', `${where}: ${describeMismatch(decoded.mismatch)}`);
      const [rawT, rawRh] = decoded.words as [number, number];
      return [
        { channel: 'temperature', value: temperatureFromRaw(rawT), quality: 'good' },
        { channel: 'humidity', value: humidityFromRaw(rawRh), quality: 'good' },
      ];
    },
  };
}

/**
 * Identification for `benchloop scan`. The SHT3x has no readable identity register:
 * the only way to hear from it is to send a command. READ_STATUS (0xF32D) is harmless
 * (it changes nothing in the chip), so this writes those two command bytes, waits the
 * 1 ms command gap (real time: scan has no injected clock), and reads 3 bytes. A valid
 * CRC with the reserved bits clear (Table 18) counts as an SHT3x.
 */
export async function identifySht3x(bus: I2cBus, address: number): Promise<boolean> {
  try {
    await bus.i2cWrite(address, 2, commandBytes(READ_STATUS));
    await new Promise((resolve) => setTimeout(resolve, COMMAND_GAP_MS));
    const buffer = Buffer.alloc(3);
    await bus.i2cRead(address, 3, buffer);
    const decoded = decodeWords(buffer, ['status']);
    return 'words' in decoded && (decoded.words[0]! & STATUS.reservedZero) === 0;
  } catch {
    return false;
  }
}
