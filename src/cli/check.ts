import { loadConfigOrExit } from './load.js';

export function checkCommand(file: string): void {
  const { config } = loadConfigOrExit(file);
  process.stdout.write(
    `${file}: valid — node ${config.node.site}/${config.node.id}, ${config.hardware.backend} hardware, ` +
      `${config.devices.length} device(s), ${config.actuators.length} actuator(s), ${config.interlocks.length} interlock(s)\n`,
  );
}
