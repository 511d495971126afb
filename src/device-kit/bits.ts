/** Bit and byte helpers shared by drivers and simulators. */

export function u16be(bytes: ArrayLike<number>, offset = 0): number {
  return ((bytes[offset]! << 8) | bytes[offset + 1]!) & 0xffff;
}

export function u16le(bytes: ArrayLike<number>, offset = 0): number {
  return ((bytes[offset + 1]! << 8) | bytes[offset]!) & 0xffff;
}

export function s16le(bytes: ArrayLike<number>, offset = 0): number {
  return toSigned(u16le(bytes, offset), 16);
}

export function s16be(bytes: ArrayLike<number>, offset = 0): number {
  return toSigned(u16be(bytes, offset), 16);
}

/** Two's complement of the low `bits` bits of `value`. */
export function toSigned(value: number, bits: number): number {
  const sign = 2 ** (bits - 1);
  const masked = value % (2 * sign);
  return masked >= sign ? masked - 2 * sign : masked;
}

/** Encodes a signed value as its `bits`-wide two's complement. */
export function toUnsigned(value: number, bits: number): number {
  const range = 2 ** bits;
  return ((value % range) + range) % range;
}

/**
 * SMBus words travel low byte first, while most 16-bit sensor registers send their
 * most significant byte first: readRegister16/writeRegister16 swap for drivers, and
 * simulators and tests swap to show such registers as SMBus sees them.
 */
export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

export function getBits(value: number, shift: number, width: number): number {
  return (value >> shift) & ((1 << width) - 1);
}

export function setBits(value: number, shift: number, width: number, field: number): number {
  const mask = ((1 << width) - 1) << shift;
  return (value & ~mask) | ((field << shift) & mask);
}

export function hex(value: number, digits = 2): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}
