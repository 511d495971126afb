/**
 * A real node (BenchloopNode on the simulated bench, the real drivers, outbox and
 * MQTT link) built in this process, with the status page beside it on a free port.
 * The daemon itself is tested in test/integration/web-daemon.test.ts; in-process,
 * a test can read the page and the node side by side.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceDefinitions } from '../../devices/index.js';
import { loadConfigFile } from '../../src/config/load.js';
import { buildConfigSchema } from '../../src/config/schema.js';
import { type WebConfig, webConfigSchema } from '../../src/config/web-schema.js';
import { createLogger } from '../../src/log.js';
import { BenchloopNode } from '../../src/main.js';
import { startWebServer, type WebServer } from '../../src/web/index.js';
import { writeConfig } from '../support/daemon.js';

/**
 * The test bench: the simulated incubator's chamber sensor and door switch, the
 * heater with its door interlock, and a broker link when `url` is given. Batches are
 * sealed every 200 ms, so a backlog grows visibly within a second of the broker going.
 */
export function benchYaml(options: { url?: string; username?: string; passwordFile?: string } = {}): string {
  const credentials = options.username
    ? `\n  username: ${options.username}\n  passwordFile: ${options.passwordFile}`
    : '';
  const mqtt = options.url
    ? `mqtt:\n  url: ${options.url}${credentials}\n  keepaliveS: 5\n  reconnect: { initialMs: 100, maxMs: 1000 }\noutbox: { batch: { maxAgeMs: 200 } }`
    : '';
  return `
node: { id: web-node, site: test, description: Test incubator }
dataDir: DATA_DIR
hardware: { backend: sim }
devices:
  - { id: chamber, type: bme280, address: 0x76, periodMs: 200 }
  - { id: door, type: gpio-input, pin: 17, periodMs: 500, debounceMs: 20 }
actuators:
  - { id: heater, type: pwm, pin: 18, frequencyHz: 10, envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 } }
interlocks:
  - { id: door-open, when: { channel: door/level, equals: 1 }, force: { heater: 0 } }
${mqtt}
`;
}

export interface NodeWithWeb {
  node: BenchloopNode;
  web: WebServer;
  dir: string;
  stop(): Promise<void>;
}

/** `webConfig` is the config's `web:` section (validated by its schema); `port: 0` unless given. */
/** Whether the config schema mounts `web:` (the composition root's wiring of this feature). */
export const webMounted = 'web' in buildConfigSchema(deviceDefinitions).shape;

export async function startWebNode(
  nodeYaml: string,
  webConfig: Partial<WebConfig> = {},
): Promise<NodeWithWeb> {
  // The node's own page stays off: the test starts the same server itself, on a free port, with its own settings.
  const yaml = webMounted ? `${nodeYaml}\nweb: { enabled: false }\n` : nodeYaml;
  const { dir, file } = writeConfig(yaml);
  const { config } = loadConfigFile(file, deviceDefinitions);
  // Errors only, on stderr: the test's output stays readable, a failure still says why.
  const logger = createLogger({ level: 'error', pretty: false, destination: 2 });
  const node = new BenchloopNode(config, { definitions: deviceDefinitions, logger });
  await node.start();
  let web: WebServer;
  try {
    web = await startWebServer({
      config: webConfigSchema.parse({ port: 0, ...webConfig }),
      node,
      log: logger,
    });
  } catch (error) {
    await node.stop('test');
    throw error;
  }
  return {
    node,
    web,
    dir,
    async stop() {
      await web.close();
      await node.stop('test');
    },
  };
}

/** A token file in a temp folder of its own. */
export function writeToken(token: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'benchloop-e2e-')), 'web-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}
