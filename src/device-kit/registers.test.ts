import { describe, expect, it } from 'vitest';
import type { I2cBus } from './bus.js';
import { readRegister16, writeRegister16 } from './registers.js';

/** readWord/writeWord only, recording what they were called with. */
function wordBus(answer: number) {
  const calls: unknown[][] = [];
  const bus = {
    busNumber: 1,
    readWord: async (...args: unknown[]) => {
      calls.push(['readWord', ...args]);
      return answer;
    },
    writeWord: async (...args: unknown[]) => {
      calls.push(['writeWord', ...args]);
    },
  } as unknown as I2cBus;
  return { bus, calls };
}

describe('16-bit registers over SMBus words', () => {
  it('reads the register MSB first from a word that arrived LSB first', async () => {
    const { bus, calls } = wordBus(0x3412);
    expect(await readRegister16(bus, 0x48, 0x01)).toBe(0x1234);
    expect(calls).toEqual([['readWord', 0x48, 0x01]]);
  });

  it('writes the register as the swapped word, so its MSB goes first on the wire', async () => {
    const { bus, calls } = wordBus(0);
    await writeRegister16(bus, 0x40, 0x05, 0x5000);
    expect(calls).toEqual([['writeWord', 0x40, 0x05, 0x0050]]);
  });
});
