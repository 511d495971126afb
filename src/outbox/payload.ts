/** The protocol message a sealed message is published as (PROTOCOL.md, "Telemetry and events"). */
import type { SealedMessage, Stream } from './types.js';

/** Brokers commonly refuse larger messages (mosquitto's message_size_limit, cloud brokers' 128 KiB cap). */
export const MAX_MESSAGE_BYTES = 128 * 1024;

const ITEMS_KEY: Record<Stream, string> = { telemetry: 'samples', events: 'events' };
/** Digits of the largest safe integer: no seq needs more, so a budget computed with it holds for any seq. */
const WIDEST_SEQ = String(Number.MAX_SAFE_INTEGER);

function envelope(stream: Stream, seq: string, bootId: string, body: string): string {
  return `{"seq":${seq},"bootId":${JSON.stringify(bootId)},"${ITEMS_KEY[stream]}":${body}}`;
}

/** The payload to publish: the same bytes on every resend, since seq, bootId and body were fixed at seal. */
export function encodePayload(message: SealedMessage): string {
  return envelope(message.stream, String(message.seq), message.bootId, message.body);
}

/** Payload bytes besides the items array, for any seq. */
export function payloadOverhead(stream: Stream, bootId: string): number {
  return Buffer.byteLength(envelope(stream, WIDEST_SEQ, bootId, ''));
}
