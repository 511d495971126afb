/**
 * How a dataset was made, in the dataset itself, so it can be reused years later
 * without asking anyone: the plan as received and its sha256 (canonical JSON), the
 * command that started it, the node and software, each device's type, bus, address,
 * options, channel units, calibration and filters, the actuators' envelopes, the
 * interlocks and local controllers in force, the active model versions, and whether
 * the clock was synchronised at the start and at the end (and any step it made).
 * Pure: the composition root hands in the facts.
 */
import { deviceOptions } from '../config/device-schema.js';
import type { ActuatorEntry, ControllerConfig, DeviceEntry, InterlockConfig } from '../config/schema.js';
import type { ClockStatus, ModelDescription } from '../protocol/messages.js';
import type { PlanStateName } from './plan-files.js';

export const DATASET_FORMAT = 'benchloop.dataset/1';

export interface ProvenanceFacts {
  planId: string;
  plan: unknown;
  sha256: string;
  commandId: string;
  node: { site: string; id: string; description?: string | undefined };
  bootId: string;
  version: string;
  configHash: string;
  devices: readonly DeviceEntry[];
  /** Published channels and units by device (`describe().devices`). */
  channels: ReadonlyArray<{ id: string; channels: ReadonlyArray<{ id: string; unit: string }> }>;
  actuators: readonly ActuatorEntry[];
  interlocks: readonly InterlockConfig[];
  controllers: readonly ControllerConfig[];
  models: readonly ModelDescription[];
  /** `device/channel` of every channel the plan measures. */
  measured: readonly string[];
  clock: ClockStatus;
  startedAt: number;
}

export interface Ending {
  state: PlanStateName;
  endedAt: number;
  reason?: string;
  /** null when unknown (a plan interrupted by a crash). */
  clock: ClockStatus | null;
  clockSteps: ReadonlyArray<{ t: number; steppedMs: number }>;
  samples: number;
  parts: number;
}

export function provenanceAtStart(facts: ProvenanceFacts): Record<string, unknown> {
  const measured = new Set(facts.measured);
  return {
    format: DATASET_FORMAT,
    planId: facts.planId,
    ...(isNamed(facts.plan) ? { name: facts.plan.name } : {}),
    planSha256: facts.sha256,
    plan: facts.plan,
    command: facts.commandId,
    node: {
      site: facts.node.site,
      id: facts.node.id,
      ...(facts.node.description ? { description: facts.node.description } : {}),
    },
    bootId: facts.bootId,
    software: { name: 'benchloop', version: facts.version },
    configHash: facts.configHash,
    devices: facts.devices.map((entry) => deviceProvenance(entry, facts.channels, measured)),
    actuators: facts.actuators.map((a) => ({ id: a.id, type: a.type, pin: a.pin, envelope: a.envelope })),
    interlocks: facts.interlocks,
    controllers: facts.controllers,
    models: facts.models,
    clock: { start: facts.clock },
    state: 'running',
    startedAt: facts.startedAt,
  };
}

export function provenanceAtEnd(start: Record<string, unknown>, end: Ending): Record<string, unknown> {
  const { clock, ...rest } = start as { clock: Record<string, unknown> };
  return {
    ...rest,
    clock: { ...clock, end: end.clock, steps: end.clockSteps },
    state: end.state,
    endedAt: end.endedAt,
    ...(end.reason ? { reason: end.reason } : {}),
    samples: end.samples,
    parts: end.parts,
  };
}

function deviceProvenance(
  entry: DeviceEntry,
  described: ProvenanceFacts['channels'],
  measured: ReadonlySet<string>,
): Record<string, unknown> {
  const published = described.find((d) => d.id === entry.id)?.channels ?? [];
  const where =
    entry.address !== undefined
      ? { bus: entry.bus, address: `0x${entry.address.toString(16).padStart(2, '0')}` }
      : entry.romId !== undefined
        ? { romId: entry.romId }
        : entry.pin !== undefined
          ? { pin: entry.pin }
          : entry.bus !== undefined
            ? { bus: entry.bus }
            : {};
  return {
    id: entry.id,
    type: entry.type,
    ...where,
    periodMs: entry.periodMs,
    options: deviceOptions(entry),
    channels: published.map((c) => {
      const settings = entry.channels[c.id];
      return {
        id: c.id,
        unit: c.unit,
        calibration: settings?.calibration ?? null,
        filters: settings?.filters ?? [],
        measured: measured.has(`${entry.id}/${c.id}`),
      };
    }),
  };
}

function isNamed(plan: unknown): plan is { name: string } {
  return typeof (plan as { name?: unknown } | null)?.name === 'string';
}
