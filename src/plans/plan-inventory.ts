/**
 * What a plan is validated against: this node's actuators (envelope, on/off or not,
 * value now), its published channels (unit, the device's sampling period) and the
 * remote-write policy. Built fresh for every `plan.run`, so it is the node as it is
 * when the plan would start.
 */
import type { DeviceEntry, Envelope, NodeConfig } from '../config/schema.js';
import type { DeviceDefinition } from '../device-kit/index.js';

export interface ActuatorFacts {
  envelope: Envelope;
  /** An on/off output: whole values only, so no ramps. */
  integer: boolean;
  value: number;
}

export interface DeviceFacts {
  periodMs: number;
  /** Published channels → unit (disabled channels are absent: nothing would be measured). */
  channels: ReadonlyMap<string, string>;
}

export interface PlanInventory {
  actuators: ReadonlyMap<string, ActuatorFacts>;
  devices: ReadonlyMap<string, DeviceFacts>;
  /** `commands.remoteSet`: a plan moves actuators remotely, under the same policy as `set`. */
  remoteSet: ReadonlySet<string>;
}

export interface InventorySources {
  config: Pick<NodeConfig, 'devices' | 'actuators' | 'commands'>;
  definitions: readonly DeviceDefinition[];
  /** Channels as the node publishes them (`describe().devices`). */
  devices: ReadonlyArray<{ id: string; channels: ReadonlyArray<{ id: string; unit: string }> }>;
  /** The gate's value of each actuator now. */
  values: ReadonlyMap<string, number>;
}

export function planInventory(sources: InventorySources): PlanInventory {
  const { config, definitions, devices, values } = sources;
  const entries = new Map<string, DeviceEntry>(config.devices.map((d) => [d.id, d]));
  return {
    actuators: new Map(
      config.actuators.map((a) => {
        const definition = definitions.find((d) => d.type === a.type);
        const integer = definition?.kind === 'actuator' ? definition.values.integer : false;
        return [a.id, { envelope: a.envelope, integer, value: values.get(a.id) ?? a.envelope.safe }];
      }),
    ),
    devices: new Map(
      devices.map((d) => [
        d.id,
        {
          periodMs: entries.get(d.id)?.periodMs ?? 1000,
          channels: new Map(d.channels.map((c) => [c.id, c.unit])),
        },
      ]),
    ),
    remoteSet: new Set(config.commands.remoteSet),
  };
}
