/**
 * What commands see of the node, and what a command is. The composition root
 * implements `CommandContext`; commands never import the runtime's modules, so they
 * are tested against a fake and the runtime can change behind this port.
 */
import type { z } from 'zod';
import type {
  ActuatorDescription,
  ClockStatus,
  DeviceDescription,
  ErrorCode,
  FieldIssue,
  ModelDescription,
  WireSample,
} from '../protocol/messages.js';
import type { RemoteConfigPort } from './config-port.js';
import type { ModelsPort } from './model-port.js';
import type { PlanPort } from './plan-port.js';

/** Who asks the safety gate for a write: `actuator.changed` events name the command id. */
export interface CommandSource {
  kind: 'command';
  id: string;
}

/** The safety gate's answer (`Actuators.set` returns this shape). */
export type ActuatorWriteResult =
  | { ok: true; actuator: string; value: number; previous: number }
  | {
      ok: false;
      code: 'invalid_args' | 'out_of_range' | 'busy' | 'not_found' | 'failed';
      message: string;
    };

export interface NodeInventory {
  devices: DeviceDescription[];
  actuators: ActuatorDescription[];
  models: ModelDescription[];
}

export interface CommandContext {
  readonly bootId: string;
  readonly version: string;
  /** The node clock (epoch ms): reply times and expiry. */
  nowMs(): number;
  uptimeMs(): number;
  /** The MQTT session of the current connection. */
  session(): number;
  clock(): ClockStatus;
  configHash(): string;
  describe(): NodeInventory;
  /** Reads now from the hardware: one device (which the caller has checked exists), or every device. */
  readNow(device?: string): Promise<WireSample[]>;
  /** Through the safety gate: envelope, interlocks, serialisation. */
  setActuator(id: string, value: number, source: CommandSource): Promise<ActuatorWriteResult>;
  /** The inference runtime, on a node whose config has `models:`. */
  readonly models?: ModelsPort;
  /** Whether a plan is running (`config.apply` is then `busy`). Absent: this node runs no plans. */
  planRunning?(): boolean;
  /** Experiment plans (`plan.*`): src/plans. */
  readonly plans?: PlanPort;
  /** `config.get` and `config.apply`; provided when the node runs under `benchloop run`'s supervisor. */
  readonly remoteConfig?: RemoteConfigPort;
}

/** Node policy a command may consult before its args are validated. */
export interface CommandPolicy {
  remoteSet: ReadonlySet<string>;
}

export interface Failure {
  ok: false;
  code: ErrorCode;
  /** The field at fault (`name`, `args.actuator`…); the dispatcher puts it, and the command id, in the message. */
  field?: string;
  message: string;
  issues?: FieldIssue[];
}

export type Outcome<R = unknown> = { ok: true; result: R } | Failure;

export function failure(code: ErrorCode, field: string | undefined, message: string): Failure {
  return field === undefined ? { ok: false, code, message } : { ok: false, code, field, message };
}

export interface CommandDefinition<A = unknown, N extends string = string> {
  name: N;
  /** Validates `args` (`{}` when absent); strict, so an unknown argument is `invalid_args`, not ignored. */
  args: z.ZodType<A>;
  /**
   * Policy checks that need an argument, run on the raw args before validation so a
   * forbidden target is `forbidden` whatever else is wrong. Returns the refusal.
   */
  permit?(rawArgs: Readonly<Record<string, unknown>>, policy: CommandPolicy): Failure | undefined;
  /** Resolves to the outcome; may throw, which the dispatcher reports as `internal`. */
  run(args: A, context: CommandContext, command: { id: string }): Promise<Outcome>;
}
