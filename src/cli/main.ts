#!/usr/bin/env node
/** The `benchloop` command: each subcommand lives in its own file and only parses flags. */
import { Command, InvalidArgumentError } from 'commander';
import { version } from '../version.js';
import { checkCommand } from './check.js';
import { registerCtl } from './ctl.js';
import { registerDoctor } from './doctor.js';
import { ExitCode } from './exit-codes.js';
import { registerExport } from './export.js';
import { registerProvision } from './provision.js';
import { readCommand } from './read.js';
import { runCommand } from './run.js';
import { safeCommand } from './safe.js';
import { scanCommand } from './scan.js';
import { schemaCommand } from './schema.js';

const program = new Command('benchloop')
  .description('Edge runtime for instrument-side controllers')
  .version(version)
  .exitOverride((error) => process.exit(error.exitCode === 0 ? ExitCode.ok : ExitCode.usage));

const seconds = (text: string) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError('a number of seconds ≥ 0');
  return value;
};

program
  .command('run')
  .description('run the daemon')
  .requiredOption('-c, --config <file>', 'node configuration (YAML)')
  .option('--data-dir <dir>', "overrides the config's dataDir")
  .option('--mqtt-url <url>', "broker to use instead of the config's (then no embedded broker starts)")
  .option('--pretty', 'human-readable logs (default on a terminal)')
  .option('--no-pretty', 'JSON logs')
  .option('--summary-every <seconds>', 'log a one-line summary this often (0: never)', seconds, 5)
  .action((o) =>
    runCommand({
      config: o.config,
      dataDir: o.dataDir,
      mqttUrl: o.mqttUrl,
      pretty: o.pretty,
      summaryEveryS: o.summaryEvery,
    }),
  );

program
  .command('read')
  .description('read sensors once and print (no actuator is touched)')
  .requiredOption('-c, --config <file>', 'node configuration (YAML)')
  .argument('[device]', 'one device id (default: all)')
  .option('--json', 'print samples as JSON')
  .action((device, o) => readCommand(o.config, device, o));

program
  .command('check')
  .description('validate a configuration file; exit 78 on any problem')
  .argument('<file>', 'node configuration (YAML)')
  .action((file) => checkCommand(file));

program
  .command('schema')
  .description('print the configuration JSON Schema')
  .action(() => schemaCommand());

program
  .command('scan')
  .description('probe an I2C bus like i2cdetect and identify known chips')
  .requiredOption(
    '-c, --config <file>',
    'node configuration (YAML): its hardware backend and, on the simulation, its bench',
  )
  .option('--bus <n>', 'I2C bus number', (t) => Number.parseInt(t, 10), 1)
  .action((o) => scanCommand(o.config, o.bus));

program
  .command('safe')
  .description('drive every actuator to its safe value and exit')
  .requiredOption('-c, --config <file>', 'node configuration (YAML)')
  .action((o) => safeCommand(o.config));

registerCtl(program);
registerProvision(program);
registerDoctor(program);
registerExport(program);

await program.parseAsync();
