/**
 * 1-Wire through the kernel's w1 sysfs interface (Documentation/w1/w1-generic.rst,
 * Documentation/ABI/stable/sysfs-driver-w1_therm): each slave is a folder named by
 * its ROM id, `<family>-<serial>` as `%02x-%012llx`, under /sys/bus/w1/devices, next
 * to one `w1_bus_masterN` link per bus master. Reading a slave's `w1_slave` makes
 * the family driver run a conversion and returns its text.
 *
 * The root is a parameter because the simulation serves the same layout from a
 * temp folder and reads it back through this class.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BusErrorCode, busError, type OneWireBus } from '../../device-kit/index.js';
import { DEFAULT_SYSFS_ROOT } from './gpio-chip.js';

const ROM_ID = /^[0-9a-f]{2}-[0-9a-f]{12}$/i;
const BUS_ERROR_CODES = new Set<string>(['EREMOTEIO', 'ENXIO', 'EIO', 'ETIMEDOUT', 'ENOENT']);

export const W1_ENABLE_HINT =
  'enable 1-Wire with dtoverlay=w1-gpio in /boot/firmware/config.txt (data on GPIO4; gpiopin=N for another pin) ' +
  'or `raspi-config nonint do_onewire 0`, then reboot';

export function w1DevicesDir(sysfsRoot = DEFAULT_SYSFS_ROOT): string {
  return join(sysfsRoot, 'bus', 'w1', 'devices');
}

/** Slave folders only: bus masters are links in the same folder. */
export function slaveIds(entries: readonly string[]): string[] {
  return entries.filter((name) => !name.startsWith('w1_bus_master') && ROM_ID.test(name)).sort();
}

export class SysfsOneWireBus implements OneWireBus {
  readonly devicesDir: string;

  constructor(sysfsRoot: string = DEFAULT_SYSFS_ROOT) {
    this.devicesDir = w1DevicesDir(sysfsRoot);
  }

  async listDevices(): Promise<string[]> {
    try {
      return slaveIds(await readdir(this.devicesDir));
    } catch (error) {
      throw this.mapError(error, 'listing slaves');
    }
  }

  async readSlave(romId: string): Promise<string> {
    if (!ROM_ID.test(romId)) {
      throw Object.assign(new Error(`EINVAL: "${romId}" is not a 1-Wire ROM id (ff-xxxxxxxxxxxx)`), {
        code: 'EINVAL',
      });
    }
    try {
      return await readFile(join(this.devicesDir, romId, 'w1_slave'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        const busPresent = await readdir(this.devicesDir).then(
          () => true,
          () => false,
        );
        if (busPresent) {
          throw busError(
            'ENOENT',
            `1-Wire slave ${romId} is not in ${this.devicesDir} (unplugged, wrong id, or its family driver ` +
              'such as w1_therm is not loaded)',
          );
        }
      }
      throw this.mapError(error, `reading ${romId}/w1_slave`);
    }
  }

  private mapError(error: unknown, doing: string): NodeJS.ErrnoException {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') return busError('ENOENT', `${this.devicesDir} does not exist: ${W1_ENABLE_HINT}`);
    const message = `1-Wire ${doing} in ${this.devicesDir}: ${(error as Error).message}`;
    const mapped = BUS_ERROR_CODES.has(code)
      ? busError(code as BusErrorCode, message)
      : Object.assign(new Error(`${code}: ${message}`), { code });
    mapped.cause = error;
    return mapped;
  }
}
