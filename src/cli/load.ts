import { resolve } from 'node:path';
import { deviceDefinitions } from '../../devices/index.js';
import { ConfigError, type LoadedConfig, loadConfigFile } from '../config/load.js';
import { ExitCode } from './exit-codes.js';

/** Loads and validates a config for a command, or prints every problem and exits with EX_CONFIG. */
export function loadConfigOrExit(file: string, dataDir?: string): LoadedConfig {
  try {
    const loaded = loadConfigFile(file, deviceDefinitions);
    if (dataDir) loaded.config.dataDir = resolve(dataDir);
    return loaded;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n${error.problems.length} problem(s) in ${file}\n`);
    process.exit(ExitCode.config);
  }
}
