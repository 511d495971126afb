/**
 * The simulation backend: one simulated I2C bus per bus number with the configured
 * chips' simulators at their addresses, file-backed GPIO lines, and a 1-Wire folder.
 * It also hands the bench the simulators it feeds with physical values.
 */

import { deviceOptions } from '../../config/device-schema.js';
import type { DeviceEntry } from '../../config/schema.js';
import type {
  DeviceDefinition,
  I2cBus,
  OneWireBus,
  SimClock,
  SimI2cDevice,
  SimOneWireDevice,
} from '../../device-kit/index.js';
import type { Hal } from '../hal.js';
import { SimGpio } from './sim-gpio.js';
import { SimI2cBus } from './sim-i2c-bus.js';
import { SimOneWireFolder } from './sim-one-wire.js';

export interface SimHal extends Hal {
  readonly kind: 'sim';
  readonly gpio: SimGpio;
  readonly buses: ReadonlyMap<number, SimI2cBus>;
  /** Every chip simulator, by device id: what a bench or a test drives. */
  readonly simulators: ReadonlyMap<string, SimI2cDevice | SimOneWireDevice>;
}

export function createSimHal(options: {
  devices: readonly DeviceEntry[];
  definitions: readonly DeviceDefinition[];
  stateDir: string;
  clock: SimClock;
}): SimHal {
  const buses = new Map<number, SimI2cBus>();
  const simulators = new Map<string, SimI2cDevice | SimOneWireDevice>();
  const oneWire = new SimOneWireFolder(`${options.stateDir}/w1`);
  const byType = new Map(options.definitions.map((d) => [d.type, d]));
  const busFor = (n: number) => {
    const bus = buses.get(n) ?? new SimI2cBus(n);
    buses.set(n, bus);
    return bus;
  };

  for (const entry of options.devices) {
    const definition = byType.get(entry.type);
    if (definition?.transport === 'i2c') {
      const address = entry.address ?? definition.addresses[0]!;
      const sim = definition.simulator({ clock: options.clock, address, options: deviceOptions(entry) });
      busFor(entry.bus ?? 1).attach(address, sim);
      simulators.set(entry.id, sim);
    } else if (definition?.transport === '1-wire') {
      const sim = definition.simulator({
        clock: options.clock,
        romId: entry.romId!,
        options: deviceOptions(entry),
      });
      oneWire.attach(sim);
      simulators.set(entry.id, sim);
    }
  }

  return {
    kind: 'sim',
    gpio: new SimGpio({ stateDir: `${options.stateDir}/gpio` }),
    buses,
    simulators,
    i2c: async (busNumber: number): Promise<I2cBus> => busFor(busNumber),
    oneWire: (): OneWireBus => oneWire,
    close: async () => undefined,
  };
}
