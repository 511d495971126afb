/**
 * Checks of one device or actuator entry that need its definition: the address is
 * one the chip can take, channel names exist, the envelope hangs together, and the
 * device's own rules across its options hold. They run inside the entry's schema,
 * so they are reported together with every other problem of the file.
 */
import type { z } from 'zod';
import { type DeviceDefinition, hex } from '../device-kit/index.js';
import type { PathIssue } from './cross-check.js';
import { describeIssue } from './describe-issue.js';
import { deviceOptions } from './device-schema.js';

type Entry = Record<string, unknown> & { type: string };

export function sensorEntryIssues(definition: DeviceDefinition, entry: Entry): PathIssue[] {
  const issues = optionRuleIssues(definition, entry);
  if (definition.kind !== 'sensor') return issues;
  const known = definition.channels(deviceOptions(entry)).map((c) => c.id);
  for (const channel of Object.keys((entry.channels as Record<string, unknown>) ?? {})) {
    if (!known.includes(channel)) {
      issues.push({
        path: ['channels', channel],
        message: `${entry.type} has no channel "${channel}"; its channels: ${known.join(', ')}`,
      });
    }
  }
  if (
    definition.transport === 'i2c' &&
    typeof entry.address === 'number' &&
    !definition.addresses.includes(entry.address)
  ) {
    issues.push({
      path: ['address'],
      message: `found ${hex(entry.address)}; a ${entry.type} answers at ${definition.addresses.map((a) => hex(a)).join(', ')}`,
    });
  }
  if (definition.transport === '1-wire' && !String(entry.romId).startsWith(`${definition.familyCode}-`)) {
    issues.push({
      path: ['romId'],
      message: `found "${entry.romId}"; a ${entry.type} ROM id starts with family code ${definition.familyCode}-`,
    });
  }
  return issues;
}

export function actuatorEntryIssues(definition: DeviceDefinition, entry: Entry): PathIssue[] {
  const issues = optionRuleIssues(definition, entry);
  if (definition.kind !== 'actuator') return issues;
  const { min, max, safe } = entry.envelope as { min: number; max: number; safe: number };
  const values = definition.values;
  if (min > max) issues.push({ path: ['envelope', 'min'], message: `min ${min} is above max ${max}` });
  if (min < values.min) {
    issues.push({
      path: ['envelope', 'min'],
      message: `found ${min}; a ${entry.type} goes no lower than ${values.min}`,
    });
  }
  if (max > values.max) {
    issues.push({
      path: ['envelope', 'max'],
      message: `found ${max}; a ${entry.type} goes no higher than ${values.max}`,
    });
  }
  if (safe < min || safe > max) {
    issues.push({
      path: ['envelope', 'safe'],
      message: `found ${safe}; the safe value must lie in [${min}, ${max}]`,
    });
  }
  if (values.integer && !Number.isInteger(safe)) {
    issues.push({
      path: ['envelope', 'safe'],
      message: `found ${safe}; a ${entry.type} takes whole numbers only`,
    });
  }
  return issues;
}

/**
 * A device's own rules that span several of its options (the INA219's shunt range
 * against its maximum current): merging the options into the entry schema keeps each
 * key's rules but not the object's, so they run here on the device's options alone.
 */
function optionRuleIssues(definition: DeviceDefinition, entry: Entry): PathIssue[] {
  const options = deviceOptions(entry);
  const result = definition.options.safeParse(options);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    describeIssue(issue as z.core.$ZodIssue, definition.options, options).map((d) => ({
      path: d.path,
      message: d.message,
    })),
  );
}
