/**
 * `benchloop run`: the daemon. Signals and crashes end in the safe state: SIGTERM
 * and SIGINT stop cleanly (exit 0); an uncaught error forces the outputs safe at
 * once from synchronous file writes, then tries the orderly path, then exits 70.
 */
import { writeFileSync } from 'node:fs';
import { deviceDefinitions } from '../../devices/index.js';
import { createLogger, type Logger } from '../log.js';
import { BenchloopNode } from '../main.js';
import { ExitCode } from './exit-codes.js';
import { loadConfigOrExit } from './load.js';

export interface RunOptions {
  config: string;
  dataDir?: string;
  mqttUrl?: string;
  pretty?: boolean;
  summaryEveryS: number;
}

export async function runCommand(options: RunOptions): Promise<void> {
  const { config, file } = loadConfigOrExit(options.config, {
    dataDir: options.dataDir,
    mqttUrl: options.mqttUrl,
  });
  const logger = createLogger({
    level: config.log.level,
    pretty: options.pretty ?? process.stdout.isTTY === true,
  });
  const node = new BenchloopNode(config, { definitions: deviceDefinitions, logger });
  try {
    await node.preloadHardware();
  } catch (error) {
    logger.fatal({ err: error }, `hardware unavailable: ${(error as Error).message}`);
    process.exit(ExitCode.unavailable);
  }
  installExitHandlers(node, logger);
  try {
    await node.start();
  } catch (error) {
    logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
    await node.stop('start failed').catch(() => undefined);
    process.exit(ExitCode.unavailable);
  }
  logger.info(
    { config: file, dataDir: config.dataDir, bootId: node.bootId, hardware: config.hardware.backend },
    `benchloop running node ${config.node.site}/${config.node.id}`,
  );
  if (config.hardware.backend === 'sim') {
    logger.info(
      `simulated bench: ${config.hardware.sim.bench}; simulated GPIO lines are files in ${config.dataDir}/sim/gpio`,
    );
  }
  if (options.summaryEveryS > 0) {
    const timer = setInterval(() => logger.info(summarise(node)), options.summaryEveryS * 1000);
    timer.unref();
  }
}

/** One line a technician can read: every channel's latest value, the outputs, tripped interlocks. */
function summarise(node: BenchloopNode): string {
  const status = node.status();
  const units = new Map(
    node.describe().devices.flatMap((d) => d.channels.map((c) => [`${d.id}/${c.id}`, c.unit])),
  );
  const parts = [...node.latest.entries()].map(([ref, s]) =>
    s.v === null ? `${ref} BAD (${s.e})` : `${ref} ${Number(s.v.toFixed(2))} ${units.get(ref) ?? ''}`.trim(),
  );
  const outputs = status.actuators.map(
    (a) => `${a.id}=${Number(a.value.toFixed(3))}${a.heldBy ? ' (held)' : ''}`,
  );
  const tripped = status.interlocks.filter((i) => i.tripped).map((i) => i.id);
  const bench = status.bench ? ` | simulated door ${status.bench.doorOpen ? 'OPEN' : 'shut'}` : '';
  return `${parts.join(', ')} | ${outputs.join(' ')} | interlocks tripped: ${tripped.join(', ') || 'none'}${bench}`;
}

function installExitHandlers(node: BenchloopNode, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'stopping');
    node.stop(signal).then(
      () => process.exit(ExitCode.ok),
      (error) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(ExitCode.failure);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const onCrash = (error: unknown) => {
    logger.fatal({ err: error }, 'uncaught error: forcing actuators safe');
    for (const { actuator, write } of node.actuators.forcedSafeWrites()) {
      try {
        if (write.kind === 'file') writeFileSync(write.path, write.data);
      } catch (writeError) {
        logger.error({ actuator, err: writeError }, 'forced safe write failed');
      }
    }
    const deadline = setTimeout(() => process.exit(ExitCode.software), 3000);
    node.stop('crash').finally(() => {
      clearTimeout(deadline);
      process.exit(ExitCode.software);
    });
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
}
