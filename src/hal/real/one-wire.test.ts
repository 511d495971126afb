import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempRoot, rejectionOf, removeRoot } from './fake-sysfs.test-support.js';
import { SysfsOneWireBus, slaveIds, w1DevicesDir } from './one-wire.js';

const SLAVE_TEXT = '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n';

let root: string;
beforeEach(async () => {
  root = await makeTempRoot('benchloop-w1-');
});
afterEach(async () => {
  await removeRoot(root);
});

async function addSlave(romId: string, text: string): Promise<void> {
  const dir = join(w1DevicesDir(root), romId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'w1_slave'), text);
}

describe('SysfsOneWireBus', () => {
  it('lists slaves, not bus masters', async () => {
    await addSlave('28-0316a4e1b2ff', SLAVE_TEXT);
    await addSlave('28-000005e2fdc3', SLAVE_TEXT);
    await mkdir(join(root, 'devices', 'w1_bus_master1'), { recursive: true });
    await symlink(join(root, 'devices', 'w1_bus_master1'), join(w1DevicesDir(root), 'w1_bus_master1'));
    const bus = new SysfsOneWireBus(root);
    expect(await bus.listDevices()).toEqual(['28-000005e2fdc3', '28-0316a4e1b2ff']);
  });

  it('reads w1_slave text as written', async () => {
    await addSlave('28-0316a4e1b2ff', SLAVE_TEXT);
    expect(await new SysfsOneWireBus(root).readSlave('28-0316a4e1b2ff')).toBe(SLAVE_TEXT);
  });

  it('reads what is there now, so a simulation can rewrite the file between reads', async () => {
    const bus = new SysfsOneWireBus(root);
    await addSlave('28-0316a4e1b2ff', SLAVE_TEXT);
    await bus.readSlave('28-0316a4e1b2ff');
    await addSlave('28-0316a4e1b2ff', SLAVE_TEXT.replace('t=23125', 't=-1250'));
    expect(await bus.readSlave('28-0316a4e1b2ff')).toContain('t=-1250');
  });

  it('reports an unplugged slave as ENOENT naming it', async () => {
    await addSlave('28-0316a4e1b2ff', SLAVE_TEXT);
    const error = await rejectionOf(new SysfsOneWireBus(root).readSlave('28-000005e2fdc3'));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toContain('28-000005e2fdc3 is not in');
  });

  it('says to enable w1-gpio when the devices folder is missing', async () => {
    const bus = new SysfsOneWireBus(root);
    for (const attempt of [bus.listDevices(), bus.readSlave('28-0316a4e1b2ff')]) {
      const error = await rejectionOf(attempt);
      expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
      expect((error as Error).message).toContain('dtoverlay=w1-gpio');
      expect((error as Error).message).toContain(join(root, 'bus', 'w1', 'devices'));
    }
  });

  it('refuses ids that are not ROM ids, so no path escapes the folder', async () => {
    const bus = new SysfsOneWireBus(root);
    await expect(bus.readSlave('../../etc')).rejects.toThrow(/not a 1-Wire ROM id/);
    await expect(bus.readSlave('w1_bus_master1')).rejects.toThrow(/not a 1-Wire ROM id/);
  });

  it('keeps the kernel code of other read errors', async () => {
    const dir = join(w1DevicesDir(root), '28-0316a4e1b2ff');
    await mkdir(join(dir, 'w1_slave'), { recursive: true });
    const error = await rejectionOf(new SysfsOneWireBus(root).readSlave('28-0316a4e1b2ff'));
    expect(error.code).toBe('EISDIR');
    expect(error.message).toContain('reading 28-0316a4e1b2ff/w1_slave');
    await rm(dir, { recursive: true });
  });

  it('filters names with the kernel id format', () => {
    expect(slaveIds(['w1_bus_master1', '28-0316a4e1b2ff', 'driver', '10-000802b4ab2c'])).toEqual([
      '10-000802b4ab2c',
      '28-0316a4e1b2ff',
    ]);
  });
});
