/**
 * `benchloop run`: the daemon, a small supervisor around one node at a time (the
 * supervisor restarts the node on `config.apply`: run-supervisor.ts). Signals and
 * crashes end in the safe state: SIGTERM and SIGINT stop cleanly (exit 0); an
 * uncaught error forces the outputs safe at once from synchronous file writes, then
 * tries the orderly path, then exits 70.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deviceDefinitions } from '../../devices/index.js';
import { createLogger, type Logger } from '../log.js';
import type { BenchloopNode } from '../main.js';
import { ExitCode } from './exit-codes.js';
import { loadConfigOrExit } from './load.js';
import { NodeSupervisor, StartError } from './run-supervisor.js';

export interface RunOptions {
  config: string;
  dataDir?: string;
  mqttUrl?: string;
  pretty?: boolean;
  summaryEveryS: number;
}

export async function runCommand(options: RunOptions): Promise<void> {
  // Validated here once so that a bad file or flag exits 78/64 with every problem before anything starts.
  const { config, file } = loadConfigOrExit(options.config, {
    dataDir: options.dataDir,
    mqttUrl: options.mqttUrl,
  });
  const logger = createLogger({
    level: config.log.level,
    pretty: options.pretty ?? process.stdout.isTTY === true,
  });
  let handlersInstalled = false;
  const supervisor: NodeSupervisor = new NodeSupervisor({
    file,
    overrides: { dataDir: options.dataDir && resolve(options.dataDir), mqttUrl: options.mqttUrl },
    definitions: deviceDefinitions,
    logger,
    // After the hardware libraries load: pigpio installs its own signal handlers when it starts.
    beforeStart: () => {
      if (handlersInstalled) return;
      handlersInstalled = true;
      installExitHandlers(supervisor, logger);
    },
    onFatal: (error) => {
      logger.fatal({ err: error }, `no configuration runs: ${error.message}`);
      process.exit(ExitCode.unavailable);
    },
  });
  let node: BenchloopNode;
  try {
    node = await supervisor.start();
  } catch (error) {
    const message = error instanceof StartError ? error.message : `cannot start: ${(error as Error).message}`;
    logger.fatal({ err: error instanceof StartError ? error.reason : error }, message);
    process.exit(ExitCode.unavailable);
  }
  logger.info(
    {
      config: file,
      dataDir: node.config.dataDir,
      bootId: node.bootId,
      hardware: node.config.hardware.backend,
    },
    `benchloop running node ${node.config.node.site}/${node.config.node.id}`,
  );
  if (node.config.hardware.backend === 'sim') {
    logger.info(
      `simulated bench: ${node.config.hardware.sim.bench}; simulated GPIO lines are files in ${node.config.dataDir}/sim/gpio`,
    );
  }
  if (options.summaryEveryS > 0) {
    const timer = setInterval(() => {
      if (supervisor.node) logger.info(summarise(supervisor.node));
    }, options.summaryEveryS * 1000);
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

function installExitHandlers(supervisor: NodeSupervisor, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'stopping');
    supervisor.stop(signal).then(
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
    for (const { actuator, write } of supervisor.node?.actuators.forcedSafeWrites() ?? []) {
      try {
        if (write.kind === 'file') writeFileSync(write.path, write.data);
      } catch (writeError) {
        logger.error({ actuator, err: writeError }, 'forced safe write failed');
      }
    }
    const deadline = setTimeout(() => process.exit(ExitCode.software), 3000);
    supervisor.stop('crash').finally(() => {
      clearTimeout(deadline);
      process.exit(ExitCode.software);
    });
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
}
