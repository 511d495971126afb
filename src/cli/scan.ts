import { deviceDefinitions } from '../../devices/index.js';
import { hex } from '../device-kit/index.js';
import { identifyChips, scanSnippet } from '../hal/scan.js';
import { createLogger } from '../log.js';
import { BenchloopNode } from '../main.js';
import { loadConfigOrExit } from './load.js';

export async function scanCommand(file: string, busNumber: number): Promise<void> {
  const { config } = loadConfigOrExit(file);
  const logger = createLogger({ level: 'warn', pretty: false, destination: 2 });
  const node = new BenchloopNode(config, { definitions: deviceDefinitions, logger });
  const bus = await node.hal.i2c(busNumber);
  const found = await identifyChips(bus, deviceDefinitions);
  const where = node.hal.kind === 'sim' ? `simulated i2c-${busNumber}` : `/dev/i2c-${busNumber}`;
  process.stdout.write(`${where}: ${found.length} address(es) answer\n`);
  for (const f of found) {
    process.stdout.write(
      `  ${hex(f.address)}  ${f.types.length > 0 ? f.types.join(' or ') : 'unknown chip'}\n`,
    );
  }
  const snippet = scanSnippet(found, busNumber);
  if (snippet) process.stdout.write(`\nconfig snippet (devices:):\n${snippet}`);
  await node.stop('scan done');
}
