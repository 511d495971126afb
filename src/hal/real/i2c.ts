/**
 * The real I2C bus: `i2c-bus`'s PromisifiedBus (README, openPromisified) behind the
 * device-kit's I2cBus, the only module that imports `i2c-bus`, and only at first use.
 *
 * i2c-bus opens /dev/i2c-N per peripheral on the first transfer, not in
 * openPromisified, so a missing adapter would only show up later as a bare ENOENT;
 * the device file is checked here at open to say what to do about it.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { type BusErrorCode, busError, hex, type I2cBus } from '../../device-kit/index.js';

/**
 * The PromisifiedBus methods used here (i2c-bus README, "PromisifiedBus"): the
 * device-kit's I2cBus is that API by design, plus the two probing calls scan needs.
 */
type PromisifiedBus = Omit<I2cBus, 'busNumber' | 'scan'> & {
  writeQuick(address: number, bit: number): Promise<void>;
  i2cFuncs(): Promise<{ smbusQuick: boolean; smbusReceiveByte: boolean }>;
};

interface I2cBusModule {
  openPromisified(busNumber: number, options?: { forceAccess?: boolean }): Promise<PromisifiedBus>;
}

/** A variable specifier: i2c-bus ships no types, and the local interfaces above are the contract. */
const I2C_BUS_PACKAGE: string = 'i2c-bus';

let library: Promise<I2cBusModule> | undefined;

function loadLibrary(): Promise<I2cBusModule> {
  library ??= import(I2C_BUS_PACKAGE).then(
    (m) => ((m as { default?: I2cBusModule }).default ?? m) as I2cBusModule,
    (error: unknown) => {
      library = undefined;
      throw Object.assign(
        new Error(`i2c-bus could not be loaded (native addon not built?): ${String(error)}`),
        {
          code: 'ELIBACC',
          cause: error,
        },
      );
    },
  );
  return library;
}

export function i2cDevicePath(busNumber: number): string {
  return `/dev/i2c-${busNumber}`;
}

const BUS_ERROR_CODES = new Set<string>(['EREMOTEIO', 'ENXIO', 'EIO', 'ETIMEDOUT', 'ENOENT']);

/**
 * The error a driver sees: Node's `code` kept, the bus, address and operation named,
 * and for the setup errors (no device file, no permission) what to change.
 */
export function mapI2cError(
  error: unknown,
  context: { busNumber: number; address?: number; operation: string },
): NodeJS.ErrnoException {
  const original = error as NodeJS.ErrnoException;
  const code = original.code ?? 'EIO';
  const device = i2cDevicePath(context.busNumber);
  const where = context.address === undefined ? device : `${device} ${hex(context.address)}`;
  // Native errors read "EREMOTEIO, Remote I/O error"; keep only the description.
  const detail = String(original.message ?? error).replace(/^[A-Z]+[,:]\s*/, '');
  let message = `${where} ${context.operation}: ${detail}`;
  if (code === 'ENOENT') message = `${device} does not exist: ${i2cEnableHint(context.busNumber)}`;
  if (code === 'EACCES' || code === 'EPERM') {
    message = `${where} ${context.operation}: permission denied; add the user to the i2c group (sudo usermod -aG i2c $USER, then log in again)`;
  }
  if (code === 'EBUSY')
    message += ' (a kernel driver has claimed this address; unbind it or use another address)';
  const mapped: NodeJS.ErrnoException = BUS_ERROR_CODES.has(code)
    ? busError(code as BusErrorCode, message)
    : Object.assign(new Error(`${code}: ${message}`), { code });
  if (original.errno !== undefined) mapped.errno = original.errno;
  mapped.cause = error;
  return mapped;
}

export function i2cEnableHint(busNumber: number): string {
  const enable =
    busNumber === 1
      ? 'enable I2C with `sudo raspi-config nonint do_i2c 0` (or dtparam=i2c_arm=on in /boot/firmware/config.txt) and reboot'
      : `check that bus ${busNumber} exists (\`ls /dev/i2c-*\`; extra buses need a dtoverlay such as i2c-gpio or i2c${busNumber}) and that the i2c-dev module is loaded; on a Pi, enable I2C with \`sudo raspi-config nonint do_i2c 0\` or dtparam=i2c_arm=on`;
  return `${enable}; the daemon's user must be in the i2c group`;
}

/** Addresses i2cdetect probes with a read byte by default: quick write can corrupt EEPROMs there (i2cdetect(8), MODE_AUTO). */
export function probesWithRead(address: number): boolean {
  return (address >= 0x30 && address <= 0x37) || (address >= 0x50 && address <= 0x5f);
}

export async function openI2cBus(
  busNumber: number,
  options: { forceAccess?: boolean } = {},
): Promise<I2cBus> {
  if (!Number.isInteger(busNumber) || busNumber < 0) {
    throw Object.assign(new RangeError(`EINVAL: I2C bus number ${busNumber} is not a non-negative integer`), {
      code: 'EINVAL',
    });
  }
  const lib = await loadLibrary();
  try {
    await access(i2cDevicePath(busNumber), constants.R_OK | constants.W_OK);
  } catch (error) {
    throw mapI2cError(error, { busNumber, operation: 'open' });
  }
  const bus = await lib.openPromisified(busNumber, options).catch((error: unknown) => {
    throw mapI2cError(error, { busNumber, operation: 'open' });
  });
  return new RealI2cBus(busNumber, bus, lib, options);
}

class RealI2cBus implements I2cBus {
  private closed = false;

  constructor(
    readonly busNumber: number,
    private readonly bus: PromisifiedBus,
    private readonly lib: I2cBusModule,
    private readonly options: { forceAccess?: boolean },
  ) {}

  readByte(address: number, command: number): Promise<number> {
    return this.run(address, `readByte(${hex(command)})`, () => this.bus.readByte(address, command));
  }

  readWord(address: number, command: number): Promise<number> {
    return this.run(address, `readWord(${hex(command)})`, () => this.bus.readWord(address, command));
  }

  readI2cBlock(address: number, command: number, length: number, buffer: Buffer) {
    return this.run(address, `readI2cBlock(${hex(command)}, ${length})`, () =>
      this.bus.readI2cBlock(address, command, length, buffer),
    );
  }

  writeByte(address: number, command: number, byte: number): Promise<void> {
    return this.run(address, `writeByte(${hex(command)})`, () => this.bus.writeByte(address, command, byte));
  }

  writeWord(address: number, command: number, word: number): Promise<void> {
    return this.run(address, `writeWord(${hex(command)})`, () => this.bus.writeWord(address, command, word));
  }

  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer) {
    return this.run(address, `writeI2cBlock(${hex(command)}, ${length})`, () =>
      this.bus.writeI2cBlock(address, command, length, buffer),
    );
  }

  i2cRead(address: number, length: number, buffer: Buffer) {
    return this.run(address, `i2cRead(${length})`, () => this.bus.i2cRead(address, length, buffer));
  }

  i2cWrite(address: number, length: number, buffer: Buffer) {
    return this.run(address, `i2cWrite(${length})`, () => this.bus.i2cWrite(address, length, buffer));
  }

  receiveByte(address: number): Promise<number> {
    return this.run(address, 'receiveByte', () => this.bus.receiveByte(address));
  }

  sendByte(address: number, byte: number): Promise<void> {
    return this.run(address, 'sendByte', () => this.bus.sendByte(address, byte));
  }

  /**
   * Probes as i2cdetect does by default (quick write, read byte in the EEPROM and
   * 0x30–0x37 ranges), on a bus of its own: i2c-bus keeps one open file per address
   * it has talked to, and a scan must not leave 117 of them on the drivers' bus.
   * i2c-bus's own scan uses read byte everywhere and swallows every error, so a
   * missing adapter would look like an empty bus.
   */
  async scan(startAddress = 0x03, endAddress = 0x77): Promise<number[]> {
    this.assertOpen();
    const probe = await this.lib.openPromisified(this.busNumber, this.options).catch((error: unknown) => {
      throw mapI2cError(error, { busNumber: this.busNumber, operation: 'scan' });
    });
    try {
      const funcs = await probe.i2cFuncs().catch((error: unknown) => {
        throw mapI2cError(error, { busNumber: this.busNumber, operation: 'scan' });
      });
      const found: number[] = [];
      for (let address = startAddress; address <= endAddress; address++) {
        const read = probesWithRead(address) ? funcs.smbusReceiveByte : !funcs.smbusQuick;
        try {
          if (read) await probe.receiveByte(address);
          else await probe.writeQuick(address, 0);
          found.push(address);
        } catch {
          // No acknowledge (EREMOTEIO/ENXIO), or EBUSY: claimed by a kernel driver, shown as UU by i2cdetect and not probed.
        }
      }
      return found;
    } finally {
      await probe.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.bus.close().catch((error: unknown) => {
      throw mapI2cError(error, { busNumber: this.busNumber, operation: 'close' });
    });
  }

  private assertOpen(): void {
    if (this.closed) {
      throw Object.assign(new Error(`EBADF: ${i2cDevicePath(this.busNumber)} is closed`), { code: 'EBADF' });
    }
  }

  private async run<T>(address: number, operation: string, transfer: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await transfer();
    } catch (error) {
      throw mapI2cError(error, { busNumber: this.busNumber, address, operation });
    }
  }
}
