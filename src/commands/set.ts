/**
 * `set {actuator, value}` → `{actuator, value, previous}`, through the safety gate:
 * its refusals (`out_of_range`, `invalid_args`, `busy` while an interlock holds the
 * output, `not_found`, `failed`) become the reply. Only actuators listed in
 * `commands.remoteSet` may be set; the rest are `forbidden`.
 */
import { z } from 'zod';
import { itemIdSchema } from '../config/ids.js';
import { type CommandDefinition, failure } from './context.js';

const argsSchema = z.strictObject({ actuator: itemIdSchema, value: z.number() });

/** Where each refusal points: the value for envelope refusals, the actuator for the rest. */
const FIELD_OF = {
  invalid_args: 'args.value',
  out_of_range: 'args.value',
  busy: 'args.actuator',
  not_found: 'args.actuator',
  failed: 'args.actuator',
} as const;

export const set: CommandDefinition<z.output<typeof argsSchema>, 'set'> = {
  name: 'set',
  args: argsSchema,
  permit(rawArgs, policy) {
    const actuator = rawArgs.actuator;
    if (typeof actuator !== 'string' || policy.remoteSet.has(actuator)) return undefined;
    const allowed = [...policy.remoteSet].join(', ') || 'none';
    return failure(
      'forbidden',
      'args.actuator',
      `"${actuator}" may not be set remotely on this node (commands.remoteSet: ${allowed})`,
    );
  },
  async run({ actuator, value }, context, command) {
    const written = await context.setActuator(actuator, value, { kind: 'command', id: command.id });
    if (!written.ok) return failure(written.code, FIELD_OF[written.code], written.message);
    return {
      ok: true,
      result: { actuator: written.actuator, value: written.value, previous: written.previous },
    };
  },
};
