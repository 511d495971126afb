/**
 * Checks that need more than one key at a time: ids unique, references resolve,
 * addresses and pins are free, envelopes hang together. Each returns the key path
 * to blame so the loader can point at the line.
 */
import type { DeviceDefinition } from '../device-kit/index.js';
import { hex } from '../device-kit/index.js';
import type { z } from 'zod';
import { describeIssue } from './describe-issue.js';
import { deviceOptions } from './device-schema.js';
import { splitChannelRef } from './ids.js';
import type { ActuatorEntry, DeviceEntry, NodeConfig } from './schema.js';

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

export function crossCheck(config: NodeConfig, definitions: readonly DeviceDefinition[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const byType = new Map(definitions.map((d) => [d.type, d]));
  const channelsOf = new Map<string, Set<string>>();

  checkUniqueIds(config, issues);
  checkPins(config, issues);

  const addressesInUse = new Map<string, number>();
  config.devices.forEach((device, index) => {
    const definition = byType.get(device.type)!;
    issues.push(...checkOptionRules(definition, device, ['devices', index]));
    const known = new Set(
      definition.kind === 'sensor' ? definition.channels(deviceOptions(device)).map((c) => c.id) : [],
    );
    channelsOf.set(device.id, known);
    for (const channel of Object.keys(device.channels)) {
      if (!known.has(channel)) {
        issues.push({
          path: ['devices', index, 'channels', channel],
          message: `${device.type} has no channel "${channel}"; its channels: ${[...known].join(', ')}`,
        });
      }
    }
    if (definition.transport === 'i2c') {
      const address = device.address ?? definition.addresses[0]!;
      device.address = address;
      if (!definition.addresses.includes(address)) {
        issues.push({
          path: ['devices', index, 'address'],
          message: `found ${hex(address)}; a ${device.type} answers at ${definition.addresses.map((a) => hex(a)).join(', ')}`,
        });
      }
      const key = `${device.bus}:${address}`;
      const other = addressesInUse.get(key);
      if (other !== undefined) {
        issues.push({
          path: ['devices', index, 'address'],
          message: `${hex(address)} on bus ${device.bus} is already used by device "${config.devices[other]!.id}"`,
        });
      } else addressesInUse.set(key, index);
    }
    if (definition.transport === '1-wire' && !device.romId!.startsWith(`${definition.familyCode}-`)) {
      issues.push({
        path: ['devices', index, 'romId'],
        message: `found "${device.romId}"; a ${device.type} ROM id starts with family code ${definition.familyCode}-`,
      });
    }
  });

  const actuators = new Map(config.actuators.map((a) => [a.id, a]));
  config.actuators.forEach((actuator, index) => {
    const definition = byType.get(actuator.type)!;
    issues.push(...checkOptionRules(definition, actuator, ['actuators', index]));
    if (definition.kind !== 'actuator') return;
    issues.push(...checkEnvelope(actuator, definition.values, ['actuators', index, 'envelope']));
  });

  const channelExists = (ref: string) => {
    const { device, channel } = splitChannelRef(ref);
    const known = channelsOf.get(device);
    if (!known) return `no device "${device}"; devices: ${[...channelsOf.keys()].join(', ') || 'none'}`;
    if (!known.has(channel))
      return `device "${device}" has no channel "${channel}"; its channels: ${[...known].join(', ')}`;
    return undefined;
  };

  config.interlocks.forEach((interlock, index) => {
    const problem = channelExists(interlock.when.channel);
    if (problem) issues.push({ path: ['interlocks', index, 'when', 'channel'], message: problem });
    for (const [actuatorId, value] of Object.entries(interlock.force)) {
      const actuator = actuators.get(actuatorId);
      const path = ['interlocks', index, 'force', actuatorId];
      if (!actuator)
        issues.push({
          path,
          message: `no actuator "${actuatorId}"; actuators: ${[...actuators.keys()].join(', ')}`,
        });
      else if (value < actuator.envelope.min || value > actuator.envelope.max) {
        issues.push({
          path,
          message: `found ${value}; ${actuatorId} takes [${actuator.envelope.min}, ${actuator.envelope.max}]`,
        });
      }
    }
  });

  const driven = new Map<string, number>();
  config.controllers.forEach((controller, index) => {
    const problem = channelExists(controller.input);
    if (problem) issues.push({ path: ['controllers', index, 'input'], message: problem });
    if (!actuators.has(controller.output)) {
      issues.push({
        path: ['controllers', index, 'output'],
        message: `no actuator "${controller.output}"; actuators: ${[...actuators.keys()].join(', ')}`,
      });
    }
    const other = driven.get(controller.output);
    if (other !== undefined) {
      issues.push({
        path: ['controllers', index, 'output'],
        message: `"${controller.output}" is already driven by controller "${config.controllers[other]!.id}"`,
      });
    } else driven.set(controller.output, index);
  });
  return issues;
}

/**
 * A device's own rules that span several of its options (the INA219's shunt range
 * against its maximum current, a servo's pulse against its period): merging the
 * options into the entry schema keeps each key's rules but not the object's, so
 * they run here on the device's options alone.
 */
function checkOptionRules(
  definition: DeviceDefinition,
  entry: DeviceEntry | ActuatorEntry,
  path: (string | number)[],
): PathIssue[] {
  const options = deviceOptions(entry);
  const result = definition.options.safeParse(options);
  if (result.success) return [];
  return result.error.issues.flatMap((issue) =>
    describeIssue(issue as z.core.$ZodIssue, definition.options, options).map((d) => ({
      path: [...path, ...d.path],
      message: d.message,
    })),
  );
}

function checkUniqueIds(config: NodeConfig, issues: PathIssue[]): void {
  const seen = new Map<string, string>();
  const visit = (list: Array<DeviceEntry | ActuatorEntry>, section: string) =>
    list.forEach((item, index) => {
      const where = `${section}[${index}]`;
      const first = seen.get(item.id);
      if (first)
        issues.push({ path: [section, index, 'id'], message: `"${item.id}" is already the id of ${first}` });
      else seen.set(item.id, where);
    });
  visit(config.devices, 'devices');
  visit(config.actuators, 'actuators');
}

function checkPins(config: NodeConfig, issues: PathIssue[]): void {
  const owners = new Map<number, string>();
  const visit = (list: Array<DeviceEntry | ActuatorEntry>, section: string) =>
    list.forEach((item, index) => {
      if (item.pin === undefined) return;
      const owner = owners.get(item.pin);
      if (owner)
        issues.push({
          path: [section, index, 'pin'],
          message: `GPIO ${item.pin} is already used by ${owner}`,
        });
      else owners.set(item.pin, `"${item.id}"`);
    });
  visit(config.devices, 'devices');
  visit(config.actuators, 'actuators');
}

function checkEnvelope(
  actuator: ActuatorEntry,
  values: { min: number; max: number; integer: boolean },
  path: (string | number)[],
): PathIssue[] {
  const { min, max, safe } = actuator.envelope;
  const issues: PathIssue[] = [];
  if (min > max) issues.push({ path: [...path, 'min'], message: `min ${min} is above max ${max}` });
  if (min < values.min)
    issues.push({
      path: [...path, 'min'],
      message: `found ${min}; a ${actuator.type} goes no lower than ${values.min}`,
    });
  if (max > values.max)
    issues.push({
      path: [...path, 'max'],
      message: `found ${max}; a ${actuator.type} goes no higher than ${values.max}`,
    });
  if (safe < min || safe > max)
    issues.push({
      path: [...path, 'safe'],
      message: `found ${safe}; the safe value must lie in [${min}, ${max}]`,
    });
  if (values.integer && !Number.isInteger(safe)) {
    issues.push({
      path: [...path, 'safe'],
      message: `found ${safe}; a ${actuator.type} takes whole numbers only`,
    });
  }
  return issues;
}
