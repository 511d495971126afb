/**
 * DS18B20 through Linux's w1_therm driver: the kernel runs the conversion when
 * w1_slave is read, so this driver only reads that text and judges it
 * (w1-slave.ts, scratchpad.ts hold the pure part).
 */
import {
  busError,
  type ChannelReading,
  DeviceFault,
  type OneWireBus,
  type SensorDriver,
  type Timing,
} from '../../src/device-kit/index.js';
import type { ResolutionBits } from './scratchpad.js';
import { interpretW1Slave } from './w1-slave.js';

export interface Ds18b20Options {
  resolutionBits: ResolutionBits;
}

/** The kernel's directory name: family code 28, a dash, the 48-bit serial in 12 lowercase hex digits. */
const ROM_ID = /^28-[0-9a-f]{12}$/;

export function createDs18b20Driver(
  io: { bus: OneWireBus; romId: string; timing: Timing },
  _options: Ds18b20Options,
): SensorDriver {
  const { bus, romId } = io;
  // The 85 °C rule looks at this sensor's previous sample only: set when it was good, cleared by any failure.
  let previousGoodC: number | undefined;

  return {
    async init() {
      if (!ROM_ID.test(romId)) {
        throw new DeviceFault(
          'config',
          `1-Wire ROM id "${romId}" is not a DS18B20's: expected 28- and 12 hex digits`,
        );
      }
      const found = await bus.listDevices();
      if (!found.includes(romId)) {
        // ENOENT like a vanished w1_slave file, so a missing and an unplugged sensor are retried alike.
        throw busError(
          'ENOENT',
          `1-Wire ${romId} not found; the bus lists ${found.length > 0 ? found.join(', ') : 'no devices'}`,
        );
      }
    },

    async read(): Promise<ChannelReading[]> {
      let text: string;
      try {
        text = await bus.readSlave(romId);
      } catch (error) {
        previousGoodC = undefined;
        throw error;
      }
      const result = interpretW1Slave(text, previousGoodC);
      if (!result.ok) {
        previousGoodC = undefined;
        return [{ channel: 'temperature', value: null, quality: 'bad', error: `${romId}: ${result.error}` }];
      }
      previousGoodC = result.celsius;
      return [{ channel: 'temperature', value: result.celsius, quality: 'good' }];
    },
  };
}
