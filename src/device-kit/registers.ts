/**
 * 16-bit registers sent most significant byte first (TI ADS1115 §9.5.3, INA219 §8.5.6,
 * TMP117 §7.5, Microchip MCP9808 §5.1), moved as SMBus words, which travel low byte
 * first (SMBus 2.0 §5.5.5): so every access swaps. Block transfers would need no swap,
 * but Linux's i2c-stub models 16-bit registers only as SMBus words.
 */
import { swap16 } from './bits.js';
import type { I2cBus } from './bus.js';

export async function readRegister16(bus: I2cBus, address: number, register: number): Promise<number> {
  return swap16(await bus.readWord(address, register));
}

export async function writeRegister16(
  bus: I2cBus,
  address: number,
  register: number,
  value: number,
): Promise<void> {
  await bus.writeWord(address, register, swap16(value));
}
