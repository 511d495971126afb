/**
 * CRC-32 (IEEE 802.3, the zlib/PNG one: reflected polynomial 0xEDB88320, init and
 * final XOR 0xFFFFFFFF; CRC of "123456789" is 0xCBF43926). Node has `zlib.crc32`
 * only from 20.15 / 22.2 and `engines` allows any Node 20, so older runtimes get
 * the table-driven version; both give the same value, which the frame format relies on.
 */
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32Table(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// Looked up rather than imported by name: on Node < 20.15 the named import would not exist.
const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export const crc32: (data: Uint8Array) => number = typeof native === 'function' ? native : crc32Table;
