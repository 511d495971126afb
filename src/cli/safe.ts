import { deviceDefinitions } from '../../devices/index.js';
import { createLogger } from '../log.js';
import { BenchloopNode } from '../main.js';
import { loadConfigOrExit } from './load.js';

/** Drives every actuator to its safe value and exits: systemd's ExecStopPost, and a technician's panic button. */
export async function safeCommand(file: string): Promise<void> {
  const { config } = loadConfigOrExit(file);
  const logger = createLogger({ level: 'info', pretty: false, destination: 2 });
  const node = new BenchloopNode(config, { definitions: deviceDefinitions, logger });
  await node.openActuatorsSafe();
  const summary = node.actuators
    .list()
    .map((a) => `${a.id}=${a.value}`)
    .join(' ');
  await node.stop('benchloop safe');
  process.stdout.write(`actuators at their safe values: ${summary || '(none configured)'}\n`);
}
