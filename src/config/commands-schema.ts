/**
 * The `commands:` section of the node config: what remote commands may do here.
 * The defaults are safe for a node nobody has configured for remote control: it
 * answers, describes and reads, but no actuator moves until it is listed in
 * `remoteSet` (an actuator added to the config later is never remotely writable
 * by accident).
 */
import { z } from 'zod';
import { PROTOCOL_COMMANDS } from '../protocol/messages.js';
import { itemIdSchema } from './ids.js';

export const COMMANDS_DEFAULTS = {
  maxBytes: 64 * 1024,
  journalSize: 10_000,
};

export const commandsConfigSchema = z.strictObject({
  /** Larger payloads are `bad_request`, refused before they are parsed. */
  maxBytes: z
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(COMMANDS_DEFAULTS.maxBytes),
  /** Command names accepted; others are `forbidden`. Absent: every command this version implements. */
  allow: z.array(z.enum(PROTOCOL_COMMANDS)).optional(),
  /** Actuator ids a `set` command may write; others are `forbidden`. Default: none. */
  remoteSet: z.array(itemIdSchema).default([]),
  /**
   * Command ids remembered for idempotency, across restarts. The protocol asks for at
   * least 10,000; every command rewrites a bounded part of the journal, whatever its size.
   */
  journalSize: z.int().min(10_000).max(1_000_000).default(COMMANDS_DEFAULTS.journalSize),
});

export type CommandsConfig = z.output<typeof commandsConfigSchema>;
