import { describe, expect, it } from 'vitest';
import { busError, type I2cBus, i2cLocation } from './bus.js';
import { DeviceFault } from './definition.js';
import { matchesIdentity, type RegisterExpectation, requireIdentity } from './identity.js';

/**
 * A chip at 0x48 on bus 3 whose byte registers and 16-bit registers (MSB-first values)
 * are given; any other address NACKs. Records the registers read, in order.
 */
function chipBus(bytes: Record<number, number>, words: Record<number, number>) {
  const reads: string[] = [];
  const at = (address: number) => {
    if (address !== 0x48) throw busError('EREMOTEIO', `no ACK from ${address}`);
  };
  const bus = {
    busNumber: 3,
    readByte: async (address: number, register: number) => {
      at(address);
      reads.push(`byte ${register}`);
      return bytes[register] ?? 0;
    },
    readWord: async (address: number, register: number) => {
      at(address);
      reads.push(`word ${register}`);
      const word = words[register] ?? 0;
      return ((word & 0xff) << 8) | (word >> 8);
    },
  } as unknown as I2cBus;
  return { bus, reads };
}

const IDENTITY: RegisterExpectation[] = [
  { name: 'chip_id', register: 0xd0, width: 8, expected: 0x60, knownOthers: { 88: 'a BMP280' } },
  { name: 'DID', register: 0x0f, width: 16, field: (w) => w & 0x0fff, expected: 0x117, digits: 3 },
];

describe('chip identity', () => {
  it('names a chip by bus and address', () => {
    expect(i2cLocation({ busNumber: 3 } as I2cBus, 0x48)).toBe('i2c-3 0x48');
  });

  it('matches when every register holds its value, comparing only the field', async () => {
    const { bus, reads } = chipBus({ 208: 0x60 }, { 15: 0x2117 });
    expect(await matchesIdentity(bus, 0x48, IDENTITY)).toBe(true);
    expect(reads).toEqual(['byte 208', 'word 15']);
  });

  it('answers false at the first mismatch, reading no further, and for an address that NACKs', async () => {
    const { bus, reads } = chipBus({ 208: 0x58 }, { 15: 0x0117 });
    expect(await matchesIdentity(bus, 0x48, IDENTITY)).toBe(false);
    expect(reads).toEqual(['byte 208']);
    expect(await matchesIdentity(bus, 0x49, IDENTITY)).toBe(false);
  });

  it('lets the right chip through init', async () => {
    const { bus } = chipBus({ 208: 0x60 }, { 15: 0x0117 });
    await expect(requireIdentity(bus, 0x48, 'a TEST', IDENTITY)).resolves.toBeUndefined();
  });

  it('refuses another chip naming bus, address, expected and found, and what a known value means', async () => {
    const { bus } = chipBus({ 208: 0x58 }, { 15: 0x0116 });
    const error = await requireIdentity(bus, 0x48, 'a TEST', IDENTITY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceFault);
    expect(error).toMatchObject({
      reason: 'wrong-chip-id',
      message:
        'i2c-3 0x48: expected a TEST holding chip_id 0x60 and DID 0x117, found 0x58 (a BMP280) and 0x116',
    });
  });

  it('shows 16-bit values with four digits unless told otherwise', async () => {
    const { bus } = chipBus({}, { 1: 0x1212 });
    const config = [{ name: 'config', register: 0x01, width: 16, expected: 0x4383 }] as const;
    await expect(requireIdentity(bus, 0x48, 'an ADC', config)).rejects.toThrow(
      'i2c-3 0x48: expected an ADC holding config 0x4383, found 0x1212',
    );
  });

  it('passes bus errors through in init, so a missing chip is a bus fault and not a wrong one', async () => {
    const { bus } = chipBus({}, {});
    await expect(requireIdentity(bus, 0x49, 'a TEST', IDENTITY)).rejects.toMatchObject({ code: 'EREMOTEIO' });
  });
});
