/**
 * The simulated 1-Wire bus is a folder laid out as the kernel's w1 sysfs tree,
 * read through the real sysfs backend. Before each read the slave's simulator
 * writes the text the kernel would produce, so the driver meets real file I/O.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OneWireBus, SimOneWireDevice } from '../../device-kit/index.js';
import { SysfsOneWireBus, w1DevicesDir } from '../real/one-wire.js';

export class SimOneWireFolder implements OneWireBus {
  private readonly sysfs: SysfsOneWireBus;
  private readonly slaves = new Map<string, SimOneWireDevice>();

  constructor(readonly root: string) {
    mkdirSync(w1DevicesDir(root), { recursive: true });
    this.sysfs = new SysfsOneWireBus(root);
  }

  attach(device: SimOneWireDevice): void {
    mkdirSync(join(w1DevicesDir(this.root), device.romId), { recursive: true });
    this.slaves.set(device.romId, device);
    this.render(device);
  }

  /** The sensor leaves the bus, as when its cable is cut: its folder disappears. */
  detach(romId: string): void {
    this.slaves.delete(romId);
    rmSync(join(w1DevicesDir(this.root), romId), { recursive: true, force: true });
  }

  listDevices(): Promise<string[]> {
    return this.sysfs.listDevices();
  }

  readSlave(romId: string): Promise<string> {
    const device = this.slaves.get(romId);
    if (device) this.render(device);
    return this.sysfs.readSlave(romId);
  }

  private render(device: SimOneWireDevice): void {
    writeFileSync(join(w1DevicesDir(this.root), device.romId, 'w1_slave'), device.renderW1Slave());
  }
}
