/**
 * The segment log's on-disk format, encoding and decoding only (no I/O), so that
 * recovery can be tested on byte arrays. Layout (all integers little-endian):
 *
 *   frame   = length:u32  crc:u32  payload[length]        crc = CRC-32 of payload
 *   message = type:u8=1  stream:u8  seq:u64  createdAt:u64  items:u32
 *             bootIdLength:u8  bootId[bootIdLength]  body (UTF-8 JSON array, to the end)
 *   ack     = type:u8=2  stream:u8  through:u64
 *
 * stream: 0 telemetry, 1 events. An ack record says that every message of the stream
 * up to `through` is acknowledged (or dropped) and need not be read again.
 */
import { crc32 } from './crc32.js';
import { type SealedMessage, STREAMS, type Stream } from './types.js';

export const FRAME_HEADER_BYTES = 8;
/** Far above any message the outbox seals; a length beyond it can only be damage. */
export const MAX_PAYLOAD_BYTES = 1 << 20;

const TYPE_MESSAGE = 1;
const TYPE_ACK = 2;
const MESSAGE_FIXED_BYTES = 23;
const ACK_BYTES = 10;
const TWO_32 = 2 ** 32;

export type FrameInfo =
  | { kind: 'message'; offset: number; size: number; stream: Stream; seq: number; items: number }
  | { kind: 'ack'; offset: number; size: number; stream: Stream; seq: number };

/** Bytes that do not decode as frames: [start, end). `end` is the next valid frame or the end of the data. */
export interface Damage {
  start: number;
  end: number;
}

export interface DecodedSegment {
  frames: FrameInfo[];
  damage: Damage[];
}

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}

function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * TWO_32;
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function encodeMessage(message: SealedMessage): Buffer {
  const bootIdBytes = Buffer.byteLength(message.bootId);
  if (bootIdBytes > 255) throw new RangeError('bootId longer than 255 bytes');
  const bodyOffset = MESSAGE_FIXED_BYTES + bootIdBytes;
  const payload = Buffer.allocUnsafe(bodyOffset + Buffer.byteLength(message.body));
  payload[0] = TYPE_MESSAGE;
  payload[1] = STREAMS.indexOf(message.stream);
  writeU64(payload, message.seq, 2);
  writeU64(payload, message.createdAt, 10);
  payload.writeUInt32LE(message.items, 18);
  payload[22] = bootIdBytes;
  payload.write(message.bootId, MESSAGE_FIXED_BYTES, 'utf8');
  payload.write(message.body, bodyOffset, 'utf8');
  return frame(payload);
}

export function encodeAck(stream: Stream, through: number): Buffer {
  const payload = Buffer.allocUnsafe(ACK_BYTES);
  payload[0] = TYPE_ACK;
  payload[1] = STREAMS.indexOf(stream);
  writeU64(payload, through, 2);
  return frame(payload);
}

/**
 * The frame starting at `offset`, or undefined when the bytes there are not a whole,
 * intact frame. Cheap structural checks run before the CRC, so scanning damaged
 * bytes for the next frame stays fast.
 */
export function frameAt(data: Buffer, offset: number): FrameInfo | undefined {
  if (data.length - offset < FRAME_HEADER_BYTES + ACK_BYTES) return undefined;
  const length = data.readUInt32LE(offset);
  if (length < ACK_BYTES || length > MAX_PAYLOAD_BYTES) return undefined;
  const size = FRAME_HEADER_BYTES + length;
  if (offset + size > data.length) return undefined;
  const p = offset + FRAME_HEADER_BYTES;
  const type = data[p];
  const stream = STREAMS[data[p + 1]!];
  if (stream === undefined) return undefined;
  if (type === TYPE_ACK) {
    if (length !== ACK_BYTES) return undefined;
  } else if (type === TYPE_MESSAGE) {
    if (length < MESSAGE_FIXED_BYTES || MESSAGE_FIXED_BYTES + data[p + 22]! > length) return undefined;
  } else {
    return undefined;
  }
  if (crc32(data.subarray(p, p + length)) !== data.readUInt32LE(offset + 4)) return undefined;
  const seq = readU64(data, p + 2);
  return type === TYPE_ACK
    ? { kind: 'ack', offset, size, stream, seq }
    : { kind: 'message', offset, size, stream, seq, items: data.readUInt32LE(p + 18) };
}

/**
 * Every intact frame of a segment, in order, and the damaged spans between them.
 * After damage, decoding resumes at the next offset where an intact frame starts,
 * so one bad record costs that record, not the rest of the segment.
 */
export function decodeSegment(data: Buffer): DecodedSegment {
  const frames: FrameInfo[] = [];
  const damage: Damage[] = [];
  let offset = 0;
  while (offset < data.length) {
    const found = frameAt(data, offset);
    if (found) {
      frames.push(found);
      offset += found.size;
      continue;
    }
    let next = offset + 1;
    while (next < data.length && !frameAt(data, next)) next++;
    damage.push({ start: offset, end: next });
    offset = next;
  }
  return { frames, damage };
}

/** The full message of a frame already checked by `frameAt` (the bytes of exactly that frame). */
export function decodeMessage(view: Buffer): SealedMessage {
  const p = FRAME_HEADER_BYTES;
  const bootIdEnd = p + MESSAGE_FIXED_BYTES + view[p + 22]!;
  return {
    stream: STREAMS[view[p + 1]!]!,
    seq: readU64(view, p + 2),
    createdAt: readU64(view, p + 10),
    items: view.readUInt32LE(p + 18),
    bootId: view.toString('utf8', p + MESSAGE_FIXED_BYTES, bootIdEnd),
    body: view.toString('utf8', bootIdEnd),
  };
}

/** The small state file: how far each stream was removed, which outlives the segments that held it. */
export function encodeState(removedThrough: Readonly<Record<Stream, number>>): string {
  return `${JSON.stringify({ version: 1, removedThrough })}\n`;
}

export function decodeState(text: string): Record<Stream, number> {
  const parsed = JSON.parse(text) as { version?: unknown; removedThrough?: Record<string, unknown> };
  if (parsed.version !== 1 || typeof parsed.removedThrough !== 'object' || parsed.removedThrough === null) {
    throw new Error('not an outbox state file of version 1');
  }
  const out = {} as Record<Stream, number>;
  for (const stream of STREAMS) {
    const value = parsed.removedThrough[stream];
    if (!Number.isSafeInteger(value) || (value as number) < 0)
      throw new Error(`bad removedThrough.${stream}`);
    out[stream] = value as number;
  }
  return out;
}
