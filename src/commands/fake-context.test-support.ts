/**
 * A `CommandContext` that records every call into the node, with a gate that refuses
 * like the real one: tests assert that a rejected command never reached an actuator.
 */
import type { ActuatorDescription, WireSample } from '../protocol/messages.js';
import type { ActuatorWriteResult, CommandContext, CommandSource, NodeInventory } from './context.js';
import type { CommandJournalPort } from './dispatcher.js';

export const T0 = 1_764_300_000_000;

export interface FakeNode {
  context: CommandContext;
  /** Every `setActuator` call, refused or not. */
  setCalls: Array<{ id: string; value: number; source: CommandSource }>;
  /** Writes the gate let through: what would have moved an output. */
  writes: Array<{ id: string; value: number }>;
  readCalls: Array<string | undefined>;
  actuators: Map<string, ActuatorDescription>;
  /** Interlock holds: actuator id → holder. */
  held: Map<string, string>;
  failing: Set<string>;
  now: { ms: number };
  synced: { value: boolean };
  /** Replaces `readNow`, e.g. to make it slow or throw. */
  readImpl: { fn: (device?: string) => Promise<WireSample[]> };
}

const inventory = (actuators: ActuatorDescription[]): NodeInventory => ({
  devices: [
    {
      id: 'chamber',
      type: 'bme280',
      channels: [
        { id: 'temperature', unit: 'Cel' },
        { id: 'humidity', unit: '%' },
      ],
    },
    { id: 'door', type: 'gpio-input', channels: [{ id: 'level', unit: '1' }] },
  ],
  actuators,
  models: [],
});

function samplesOf(devices: NodeInventory['devices'], t: number): WireSample[] {
  return devices.flatMap((d) => d.channels.map((c, i) => ({ d: d.id, c: c.id, t, v: 20 + i })));
}

export function fakeNode(): FakeNode {
  const actuators = new Map<string, ActuatorDescription>([
    ['heater', { id: 'heater', type: 'pwm', min: 0, max: 1, safe: 0, value: 0 }],
    ['fan', { id: 'fan', type: 'relay', min: 0, max: 1, safe: 0, value: 0 }],
  ]);
  const node: FakeNode = {
    setCalls: [],
    writes: [],
    readCalls: [],
    actuators,
    held: new Map(),
    failing: new Set(),
    now: { ms: T0 },
    synced: { value: true },
    readImpl: { fn: async () => samplesOf(inventory([]).devices, node.now.ms) },
    context: {
      bootId: 'boot-1',
      version: '0.1.0',
      nowMs: () => node.now.ms,
      uptimeMs: () => 1234.4,
      session: () => 12,
      clock: () => ({ synced: node.synced.value }),
      configHash: () => 'sha256:abc',
      describe: () => inventory([...actuators.values()].map((a) => ({ ...a }))),
      readNow: (device) => {
        node.readCalls.push(device);
        return node.readImpl.fn(device).then((s) => (device ? s.filter((x) => x.d === device) : s));
      },
      setActuator: async (id, value, source): Promise<ActuatorWriteResult> => {
        node.setCalls.push({ id, value, source });
        const actuator = actuators.get(id);
        if (!actuator) return { ok: false, code: 'not_found', message: `no actuator "${id}"` };
        const holder = node.held.get(id);
        if (holder)
          return {
            ok: false,
            code: 'busy',
            message: `${id} is held at ${actuator.value} by interlock ${holder}`,
          };
        if (value < actuator.min || value > actuator.max)
          return {
            ok: false,
            code: 'out_of_range',
            message: `${id}: ${value} is outside [${actuator.min}, ${actuator.max}]`,
          };
        if (node.failing.has(id)) return { ok: false, code: 'failed', message: `${id}: write failed: EIO` };
        const previous = actuator.value;
        actuator.value = value;
        node.writes.push({ id, value });
        return { ok: true, actuator: id, value, previous };
      },
    },
  };
  return node;
}

/** An in-memory journal, for tests that do not exercise the store. */
export function memoryJournal(): CommandJournalPort & { failWrites: boolean; size(): number } {
  const replies = new Map<string, Parameters<CommandJournalPort['put']>[0]>();
  return {
    failWrites: false,
    size: () => replies.size,
    get: (id) => replies.get(id),
    async put(reply) {
      if (!replies.has(reply.id)) replies.set(reply.id, reply);
      if (this.failWrites) throw new Error('ENOSPC: no space left on device');
    },
  };
}
