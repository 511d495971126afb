import { z } from 'zod';
import { ITEM_ID_PATTERN, NODE_ID_PATTERN } from '../protocol/topics.js';

/** Protocol §Transport: site and node ids. */
export const nodeIdSchema = z
  .string()
  .regex(NODE_ID_PATTERN, { error: 'an id of 1–64 letters, digits, "_" or "-"' });

/** Protocol §Transport: device, channel and actuator ids. */
export const itemIdSchema = z
  .string()
  .regex(ITEM_ID_PATTERN, { error: 'an id of 1–64 letters, digits, "_", "." or "-"' });

/** A channel reference, `device/channel`: ids may contain dots, never a slash. */
export const channelRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}\/[A-Za-z0-9_.-]{1,64}$/, { error: 'a channel reference "device/channel"' });

export function splitChannelRef(ref: string): { device: string; channel: string } {
  const [device, channel] = ref.split('/') as [string, string];
  return { device, channel };
}
