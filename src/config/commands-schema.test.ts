import { describe, expect, it } from 'vitest';
import { commandsConfigSchema } from './commands-schema.js';

describe('commands config', () => {
  it('defaults: 64 KiB, every implemented command (allow absent), no actuator settable remotely, 10,000 ids', () => {
    expect(commandsConfigSchema.parse({})).toEqual({
      maxBytes: 65536,
      remoteSet: [],
      journalSize: 10_000,
    });
  });

  it('refuses a misspelt command name, a journal below the protocol minimum, and unknown keys', () => {
    const result = commandsConfigSchema.safeParse({
      allow: ['pnig'],
      journalSize: 500,
      remoteset: ['heater'],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.code])).toEqual([
      ['allow.0', 'invalid_value'],
      ['journalSize', 'too_small'],
      ['', 'unrecognized_keys'],
    ]);
  });

  it('takes actuator ids in remoteSet', () => {
    expect(commandsConfigSchema.parse({ remoteSet: ['heater', 'fan.1'] }).remoteSet).toEqual([
      'heater',
      'fan.1',
    ]);
    expect(commandsConfigSchema.safeParse({ remoteSet: ['a/b'] }).success).toBe(false);
  });
});
