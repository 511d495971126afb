/**
 * Checks across entries: ids unique, references resolve, addresses and pins are
 * free. They read only the few keys they need, defensively, so they also run on a
 * file whose schema check failed: every problem of a file is reported at once.
 */
import { type DeviceDefinition, hex } from '../device-kit/index.js';
import { deviceOptions } from './device-schema.js';
import { splitChannelRef } from './ids.js';
import { modelsCrossCheck } from './models-schema.js';

export interface PathIssue {
  path: (string | number)[];
  message: string;
}

type Loose = Record<string, unknown>;

const list = (value: unknown): Array<Loose | undefined> =>
  Array.isArray(value)
    ? value.map((v) => (v !== null && typeof v === 'object' ? (v as Loose) : undefined))
    : [];
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

export function crossCheck(data: unknown, definitions: readonly DeviceDefinition[]): PathIssue[] {
  const root = (data ?? {}) as Loose;
  const devices = list(root.devices);
  const actuatorEntries = list(root.actuators);
  const issues: PathIssue[] = [];
  const byType = new Map(definitions.map((d) => [d.type, d]));

  const ids = new Map<string, string>();
  const pins = new Map<number, string>();
  const sections = [
    ['devices', devices],
    ['actuators', actuatorEntries],
  ] as const;
  for (const [section, entries] of sections) {
    entries.forEach((entry, index) => {
      const id = text(entry?.id);
      if (id !== undefined) {
        const first = ids.get(id);
        if (first)
          issues.push({ path: [section, index, 'id'], message: `"${id}" is already the id of ${first}` });
        else ids.set(id, `${section}[${index}]`);
      }
      const pin = num(entry?.pin);
      if (pin !== undefined) {
        const owner = pins.get(pin);
        if (owner)
          issues.push({ path: [section, index, 'pin'], message: `GPIO ${pin} is already used by ${owner}` });
        else pins.set(pin, `"${id}"`);
      }
    });
  }

  const channelsOf = new Map<string, Set<string>>();
  const addressesInUse = new Map<string, string>();
  devices.forEach((device, index) => {
    const definition = byType.get(text(device?.type) ?? '');
    const id = text(device?.id);
    if (!device || !definition || definition.kind !== 'sensor' || id === undefined) return;
    try {
      channelsOf.set(id, new Set(definition.channels(deviceOptions(device)).map((c) => c.id)));
    } catch {
      // Options too malformed to name the channels: the schema check has reported them.
      channelsOf.set(id, new Set());
    }
    if (definition.transport !== 'i2c') return;
    const bus = num(device.bus) ?? 1;
    const address = num(device.address) ?? definition.addresses[0]!;
    const other = addressesInUse.get(`${bus}:${address}`);
    if (other !== undefined) {
      issues.push({
        path: ['devices', index, 'address'],
        message: `${hex(address)} on bus ${bus} is already used by device "${other}"`,
      });
    } else addressesInUse.set(`${bus}:${address}`, id);
  });

  const actuators = new Map<string, { min?: number; max?: number }>();
  for (const entry of actuatorEntries) {
    const id = text(entry?.id);
    const envelope = (entry?.envelope ?? {}) as Loose;
    if (id !== undefined) actuators.set(id, { min: num(envelope.min), max: num(envelope.max) });
  }
  const actuatorList = () => [...actuators.keys()].join(', ') || 'none';
  const channelProblem = (ref: string | undefined) => {
    if (ref === undefined || !ref.includes('/')) return undefined;
    const { device, channel } = splitChannelRef(ref);
    const known = channelsOf.get(device);
    if (!known) return `no device "${device}"; devices: ${[...channelsOf.keys()].join(', ') || 'none'}`;
    if (!known.has(channel))
      return `device "${device}" has no channel "${channel}"; its channels: ${[...known].join(', ')}`;
    return undefined;
  };

  list(root.interlocks).forEach((interlock, index) => {
    const problem = channelProblem(text((interlock?.when as Loose | undefined)?.channel));
    if (problem) issues.push({ path: ['interlocks', index, 'when', 'channel'], message: problem });
    const force = (interlock?.force ?? {}) as Loose;
    for (const [actuatorId, value] of Object.entries(force)) {
      const actuator = actuators.get(actuatorId);
      const path = ['interlocks', index, 'force', actuatorId];
      if (!actuator)
        issues.push({ path, message: `no actuator "${actuatorId}"; actuators: ${actuatorList()}` });
      else if (
        typeof value === 'number' &&
        (value < (actuator.min ?? value) || value > (actuator.max ?? value))
      ) {
        issues.push({
          path,
          message: `found ${value}; ${actuatorId} takes [${actuator.min}, ${actuator.max}]`,
        });
      }
    }
  });

  const driven = new Map<string, string>();
  list(root.controllers).forEach((controller, index) => {
    const problem = channelProblem(text(controller?.input));
    if (problem) issues.push({ path: ['controllers', index, 'input'], message: problem });
    const output = text(controller?.output);
    if (output === undefined) return;
    if (!actuators.has(output)) {
      issues.push({
        path: ['controllers', index, 'output'],
        message: `no actuator "${output}"; actuators: ${actuatorList()}`,
      });
    }
    const other = driven.get(output);
    if (other !== undefined) {
      issues.push({
        path: ['controllers', index, 'output'],
        message: `"${output}" is already driven by controller "${other}"`,
      });
    } else driven.set(output, text(controller?.id) ?? `controllers[${index}]`);
  });
  issues.push(...modelsCrossCheck(root, channelProblem, actuators));
  return issues;
}
