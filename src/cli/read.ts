import { deviceDefinitions } from '../../devices/index.js';
import { createLogger } from '../log.js';
import { BenchloopNode } from '../main.js';
import { ExitCode } from './exit-codes.js';
import { loadConfigOrExit } from './load.js';

/** Reads sensors once and prints; touches no actuator. */
export async function readCommand(
  file: string,
  device: string | undefined,
  options: { json?: boolean },
): Promise<void> {
  const { config } = loadConfigOrExit(file);
  const selected = config.devices.filter((d) => device === undefined || d.id === device);
  if (selected.length === 0) {
    process.stderr.write(
      `no device "${device}" in ${file}; devices: ${config.devices.map((d) => d.id).join(', ')}\n`,
    );
    process.exit(ExitCode.usage);
  }
  const node = new BenchloopNode(config, {
    definitions: deviceDefinitions,
    logger: createLogger({ level: 'warn', pretty: false, destination: 2 }),
  });
  for (const entry of selected) await node.createSensor(entry);
  node.feedBenchOnce();
  const samples = await node.readNow(device);
  const units = new Map(
    node.describe().devices.flatMap((d) => d.channels.map((c) => [`${d.id}/${c.id}`, c.unit])),
  );
  if (options.json) process.stdout.write(`${JSON.stringify(samples)}\n`);
  else {
    for (const s of samples) {
      const value =
        s.v === null ? `— (${s.e})` : `${Number(s.v.toFixed(6))} ${units.get(`${s.d}/${s.c}`) ?? ''}`;
      process.stdout.write(
        `${`${s.d}/${s.c}`.padEnd(28)} ${value}${s.q && s.v !== null ? ` [${s.q}]` : ''}\n`,
      );
    }
  }
  await node.stop('read done');
  if (samples.some((s) => s.v === null)) process.exitCode = ExitCode.unavailable;
}
