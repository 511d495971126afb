import { resolve } from 'node:path';
import { deviceDefinitions } from '../../devices/index.js';
import { ConfigError, type LoadedConfig, loadConfigFile } from '../config/load.js';
import { linkConfigSchema } from '../config/mqtt-schema.js';
import type { NodeConfig } from '../config/schema.js';
import { ExitCode } from './exit-codes.js';

/** Loads and validates a config for a command, or prints every problem and exits with EX_CONFIG. */
export function loadConfigOrExit(
  file: string,
  overrides: { dataDir?: string; mqttUrl?: string } = {},
): LoadedConfig {
  try {
    const loaded = loadConfigFile(file, deviceDefinitions);
    if (overrides.dataDir) loaded.config.dataDir = resolve(overrides.dataDir);
    if (overrides.mqttUrl) loaded.config.mqtt = mqttOverride(loaded.config.mqtt, overrides.mqttUrl);
    return loaded;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n${error.problems.length} problem(s) in ${file}\n`);
    process.exit(ExitCode.config);
  }
}

/** `--mqtt-url`: this broker instead of the config's, and then no embedded broker. */
function mqttOverride(mqtt: NodeConfig['mqtt'], url: string): NodeConfig['mqtt'] {
  const result = linkConfigSchema.safeParse({ ...(mqtt ?? {}), embedded: false, url });
  if (!result.success) {
    const reasons = result.error.issues.map((i) => `${i.path.join('.') || 'mqtt'}: ${i.message}`).join('; ');
    process.stderr.write(`--mqtt-url ${url}: ${reasons}\n`);
    process.exit(ExitCode.usage);
  }
  return result.data;
}
