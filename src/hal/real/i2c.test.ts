import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from './fake-sysfs.test-support.js';
import { i2cEnableHint, mapI2cError, openI2cBus, probesWithRead } from './i2c.js';

describe('openI2cBus', () => {
  it.skipIf(existsSync('/dev/i2c-1'))('says how to enable I2C when /dev/i2c-1 is missing', async () => {
    const error = await rejectionOf(openI2cBus(1));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toMatch(/^ENOENT: \/dev\/i2c-1 does not exist: /);
    expect(error.message).toContain('raspi-config nonint do_i2c 0');
    expect(error.message).toContain('dtparam=i2c_arm=on');
    expect(error.message).toContain('i2c group');
  });

  it.skipIf(existsSync('/dev/i2c-7'))('names other buses and the i2c-dev module', async () => {
    const error = await rejectionOf(openI2cBus(7));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toContain('/dev/i2c-7 does not exist');
    expect(error.message).toContain('i2c-dev');
  });

  it('rejects a bad bus number before touching anything', async () => {
    await expect(openI2cBus(-1)).rejects.toThrow(/bus number -1/);
  });
});

describe('mapI2cError', () => {
  it('keeps the code of a NACK and names bus, address and operation', () => {
    const native = Object.assign(new Error('EREMOTEIO, Remote I/O error'), {
      code: 'EREMOTEIO',
      errno: -121,
    });
    const error = mapI2cError(native, { busNumber: 1, address: 0x76, operation: 'readByte(0xd0)' });
    expect(error.code).toBe('EREMOTEIO');
    expect(error.errno).toBe(-121);
    expect(error.message).toBe('EREMOTEIO: /dev/i2c-1 0x76 readByte(0xd0): Remote I/O error');
    expect(error.cause).toBe(native);
  });

  it('maps the other bus codes alike', () => {
    for (const code of ['ENXIO', 'EIO', 'ETIMEDOUT']) {
      const error = mapI2cError(Object.assign(new Error(`${code}, x`), { code }), {
        busNumber: 3,
        address: 0x48,
        operation: 'i2cRead(2)',
      });
      expect(error.code).toBe(code);
      expect(error.message).toBe(`${code}: /dev/i2c-3 0x48 i2cRead(2): x`);
    }
  });

  it('keeps codes outside the device-kit set and explains them', () => {
    const busy = mapI2cError(Object.assign(new Error('EBUSY, Device or resource busy'), { code: 'EBUSY' }), {
      busNumber: 1,
      address: 0x68,
      operation: 'readByte(0x00)',
    });
    expect(busy.code).toBe('EBUSY');
    expect(busy.message).toContain('kernel driver has claimed');
    const denied = mapI2cError(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), {
      busNumber: 1,
      operation: 'open',
    });
    expect(denied.code).toBe('EACCES');
    expect(denied.message).toContain('i2c group');
  });

  it('treats an error without a code (argument checks) as EIO', () => {
    const error = mapI2cError(new Error('Invalid I2C address 200'), {
      busNumber: 1,
      address: 200,
      operation: 'x',
    });
    expect(error.code).toBe('EIO');
    expect(error.message).toContain('Invalid I2C address 200');
  });

  it('turns a late ENOENT into the enable hint', () => {
    const error = mapI2cError(
      Object.assign(new Error("ENOENT: no such file, open '/dev/i2c-1'"), { code: 'ENOENT' }),
      {
        busNumber: 1,
        address: 0x40,
        operation: 'readWord(0x00)',
      },
    );
    expect(error.message).toBe(`ENOENT: /dev/i2c-1 does not exist: ${i2cEnableHint(1)}`);
  });
});

it('probes with read byte where i2cdetect does', () => {
  expect([0x2f, 0x30, 0x37, 0x38, 0x4f, 0x50, 0x5f, 0x60].map(probesWithRead)).toEqual([
    false,
    true,
    true,
    false,
    false,
    true,
    true,
    false,
  ]);
});
