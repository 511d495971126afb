/**
 * A daemon (the built CLI, a real child process) on the simulated bench, connected
 * to a real Mosquitto the test started, with helpers to talk to it the way an
 * orchestrator would: mosquitto_pub and mosquitto_sub.
 */
import { join } from 'node:path';
import { type DaemonProcess, repoRoot, startDaemon, writeConfig } from './daemon.js';
import {
  type ClientTarget,
  type Mosquitto,
  MosquittoSub,
  mosquittoPub,
  publishFile,
  type SubMessage,
} from './mosquitto.js';

export const root = 'benchloop/v1/test/it-node';

export function nodeConfig(options: {
  url: string;
  extra?: string;
  devices?: string;
  periodMs?: number;
}): string {
  return `
node: { id: it-node, site: test }
dataDir: DATA_DIR
# Tests start servers on free ports only: no status page on the default 8080.
web: { enabled: false }
hardware: { backend: sim }
devices:
${options.devices ?? `  - { id: chamber, type: bme280, address: 0x76, periodMs: ${options.periodMs ?? 200} }`}
actuators:
  - id: heater
    type: pwm
    pin: 18
    envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 }
  - { id: fan, type: relay, pin: 23, envelope: { min: 0, max: 1, safe: 0 } }
mqtt:
  url: ${options.url}
  keepaliveS: 5
  reconnect: { initialMs: 100, maxMs: 1000 }
commands:
  remoteSet: [heater]
${options.extra ?? ''}`;
}

export interface SyncNode {
  daemon: DaemonProcess;
  file: string;
  dataDir: string;
}

export function startSyncNode(config: string, existingDataDir?: string): SyncNode {
  const { file, dataDir } = writeConfig(
    existingDataDir ? config.replace('DATA_DIR', existingDataDir) : config,
  );
  const daemon = startDaemon(['run', '--config', file, '--no-pretty', '--summary-every', '0']);
  return { daemon, file, dataDir: existingDataDir ?? dataDir };
}

export function restartSyncNode(node: SyncNode): SyncNode {
  const daemon = startDaemon(['run', '--config', node.file, '--no-pretty', '--summary-every', '0']);
  return { ...node, daemon };
}

export const target = (broker: Mosquitto, version: 4 | 5 = 4): ClientTarget => ({
  port: broker.port,
  version,
});

export async function subscribe(
  broker: Mosquitto,
  topics: string[],
  options: { clientId?: string; persistentSession?: boolean; version?: 4 | 5 } = {},
) {
  return MosquittoSub.start(target(broker, options.version), topics, options);
}

export const json = <T = Record<string, unknown>>(m: SubMessage) => JSON.parse(m.payload) as T;

export async function command(broker: Mosquitto, payload: string | object): Promise<void> {
  await mosquittoPub(
    target(broker),
    `${root}/cmd`,
    typeof payload === 'string' ? payload : JSON.stringify(payload),
  );
}

/** For payloads too large for a command-line argument. */
export async function commandFromFile(broker: Mosquitto, payload: string): Promise<void> {
  await publishFile(target(broker), `${root}/cmd`, payload);
}

export async function replyTo(
  sub: MosquittoSub,
  id: string | null,
  nth = 1,
): Promise<Record<string, unknown>> {
  let seen = 0;
  const message = await sub.waitFor(
    (m) => m.topic === `${root}/reply` && json(m).id === id && ++seen >= nth,
    `reply ${id}`,
  );
  return json(message);
}

/**
 * A `models:` section with the example heater-policy model driving the heater, for the
 * tests of model deployment (the node's and the client's).
 */
export function heaterPolicyModels(options: { chunkSize?: number } = {}): string {
  const transfers = options.chunkSize ? `\n  transfers: { chunkSize: ${options.chunkSize} }` : '';
  return `
models:${transfers}
  list:
    - name: heater-policy
      file: ${join(repoRoot, 'deploy/models/heater-policy.onnx')}
      version: "1"
      everyMs: 200
      inputs:
        - name: temperature
          shape: [1, 3]
          features:
            - { channel: chamber/temperature, window: 3, valid: [0, 60], scale: { subtract: 37 } }
      outputs:
        - { name: duty, drive: { actuator: heater } }
`;
}
