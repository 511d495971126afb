/**
 * `benchloop doctor`: is this machine ready to run this node? The configuration, the
 * files it names, the hardware it uses and each sensor, the broker (DNS, TCP, TLS,
 * login), the clock and the disk. One line per check; each failure says what to do.
 * Exit 0 when nothing failed (warnings allowed), 1 otherwise, 78 for an invalid
 * configuration (nothing else can be checked without one).
 */
import type { Command } from 'commander';
import { deviceDefinitions } from '../../devices/index.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import { probeBroker } from './doctor-broker.js';
import { deviceChecks, hardwareChecks } from './doctor-hardware.js';
import { type CheckResult, fail, formatResult, ok, skip, summary } from './doctor-report.js';
import { clockCheck, credentialChecks, diskCheck } from './doctor-system.js';
import { ExitCode } from './exit-codes.js';

export const DEFAULT_CONFIG = '/etc/benchloop/node.yaml';

export interface DoctorOptions {
  config: string;
  json?: boolean;
  devices?: boolean;
  broker?: boolean;
}

export async function doctorCommand(options: DoctorOptions): Promise<void> {
  const print = (r: CheckResult) => {
    if (!options.json) process.stdout.write(`${formatResult(r)}\n`);
  };
  const results: CheckResult[] = [];
  const add = (...found: CheckResult[]) => {
    for (const r of found) {
      results.push(r);
      print(r);
    }
  };

  let config: ReturnType<typeof loadConfigFile>['config'];
  try {
    config = loadConfigFile(options.config, deviceDefinitions).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    add(
      fail(
        'config',
        `${options.config}: ${error.problems.length} problem(s):\n${error.message}`,
        `fix the file (benchloop check ${options.config} lists every problem), or write a new one with benchloop provision`,
      ),
    );
    finish(results, options, ExitCode.config);
    return;
  }
  add(
    ok(
      'config',
      `${options.config} valid: node ${config.node.site}/${config.node.id}, ${config.hardware.backend} hardware, ${config.devices.length} sensor(s), ${config.actuators.length} actuator(s)`,
    ),
  );
  add(...(await credentialChecks(config)));
  add(...(await hardwareChecks(config, deviceDefinitions)));
  if (options.devices === false) add(skip('devices', '--no-devices'));
  else add(...(await deviceChecks(config, deviceDefinitions)));
  if (!config.mqtt) add(skip('broker', 'no mqtt: section: the node runs standalone'));
  else if (options.broker === false) add(skip('broker', '--no-broker'));
  else add(...(await probeBroker(config.mqtt, config.node)));
  add(await clockCheck(config));
  add(await diskCheck(config));
  finish(results, options, results.some((r) => r.status === 'fail') ? ExitCode.failure : ExitCode.ok);
}

function finish(results: CheckResult[], options: DoctorOptions, code: number): void {
  if (options.json) process.stdout.write(`${JSON.stringify({ ok: code === 0, results })}\n`);
  else process.stdout.write(`${summary(results)}\n`);
  process.exitCode = code;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this machine for the node: config, credentials, hardware, devices, broker, clock, disk',
    )
    .option('-c, --config <file>', 'node configuration (YAML)', DEFAULT_CONFIG)
    .option('--json', 'print the results as JSON')
    .option('--no-devices', 'do not read the sensors')
    .option('--no-broker', 'do not contact the broker')
    .action((o) => doctorCommand(o));
}
