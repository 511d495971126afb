/**
 * `read {device?, channel?}` → `{samples}` read now from the hardware (calibrated, not
 * filtered, not published). A channel without a device means that channel on every
 * device that has it. Ids are checked against the node's inventory first, so an
 * unknown one is `not_found` and touches no bus.
 */
import { z } from 'zod';
import { itemIdSchema } from '../config/ids.js';
import { type CommandDefinition, failure } from './context.js';

const argsSchema = z.strictObject({ device: itemIdSchema.optional(), channel: itemIdSchema.optional() });

export const read: CommandDefinition<z.output<typeof argsSchema>, 'read'> = {
  name: 'read',
  args: argsSchema,
  async run({ device, channel }, context) {
    const { devices } = context.describe();
    const candidates = device === undefined ? devices : devices.filter((d) => d.id === device);
    if (candidates.length === 0)
      return failure(
        'not_found',
        'args.device',
        `no device "${device}"; devices: ${devices.map((d) => d.id).join(', ') || 'none'}`,
      );
    if (channel !== undefined && !candidates.some((d) => d.channels.some((c) => c.id === channel))) {
      const where = device === undefined ? 'no device has' : `device "${device}" has no`;
      const known = [...new Set(candidates.flatMap((d) => d.channels.map((c) => c.id)))];
      return failure(
        'not_found',
        'args.channel',
        `${where} channel "${channel}"; channels: ${known.join(', ')}`,
      );
    }
    const samples = await context.readNow(device);
    return {
      ok: true,
      result: { samples: channel === undefined ? samples : samples.filter((s) => s.c === channel) },
    };
  },
};
