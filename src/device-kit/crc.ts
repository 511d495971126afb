/** CRC helpers used by several chips; each cites where its parameters come from. */

/**
 * CRC-8 with polynomial 0x31 (x^8+x^5+x^4+1), MSB first, no reflection, no final XOR.
 * Sensirion SHT3x datasheet §4.12 (init 0xFF; CRC of 0xBEEF is 0x92).
 */
export function crc8Sensirion(data: ArrayLike<number>, init = 0xff): number {
  let crc = init;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i]!;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc;
}

/**
 * Dallas/Maxim 1-Wire CRC-8: polynomial x^8+x^5+x^4+1 reflected (0x8C), init 0
 * (Maxim application note 27). A block followed by its CRC checks to 0.
 */
export function crc8Maxim(data: ArrayLike<number>): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) {
    let byte = data[i]!;
    for (let bit = 0; bit < 8; bit++) {
      const mix = (crc ^ byte) & 0x01;
      crc >>= 1;
      if (mix) crc ^= 0x8c;
      byte >>= 1;
    }
  }
  return crc;
}
