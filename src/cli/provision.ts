/**
 * `benchloop provision`: writes a node's configuration and credential files (mode
 * 0600) into the configuration folder, from flags or prompts. Everything is staged in
 * a temporary folder beside the target first, the configuration validated and the
 * broker asked whether it accepts the credentials; only then are the files moved into
 * place, so a failed provision leaves nothing half-written. Existing files are never
 * replaced without --force. The password is never printed or logged.
 */

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isMap, parseDocument } from 'yaml';
import { deviceDefinitions } from '../../devices/index.js';
import { ConfigError, parseConfig } from '../config/load.js';
import { probeBroker } from './doctor-broker.js';
import { formatResult } from './doctor-report.js';
import { ExitCode } from './exit-codes.js';
import { ask, interactive, readStdin } from './provision-input.js';
import { writeFileAtomic } from './run-files.js';

export interface ProvisionOptions {
  configDir: string;
  from?: string;
  nodeId?: string;
  site?: string;
  description?: string;
  broker?: string;
  username?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
  hardware?: 'sim' | 'real';
  dataDir: string;
  remoteConfig?: boolean;
  owner?: string;
  force?: boolean;
  brokerCheck?: boolean;
}

const MINIMAL = `# Written by benchloop provision. Add devices, actuators and interlocks (docs/configuration.md),
# then check with: benchloop check FILE; benchloop doctor --config FILE
node: { id: x, site: x }
hardware: { backend: real }
devices: []
actuators: []
`;

function exit(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export async function provisionCommand(o: ProvisionOptions): Promise<void> {
  const configDir = resolve(o.configDir);
  const values = {
    nodeId: o.nodeId ?? (interactive() ? await ask('node id (e.g. bench-07): ') : undefined),
    site: o.site ?? (interactive() ? await ask('site (e.g. lab-b): ') : undefined),
    broker: o.broker ?? (interactive() ? await ask('broker URL (mqtts://host:8883): ') : undefined),
  };
  const missing = Object.entries({
    '--node-id': values.nodeId,
    '--site': values.site,
    '--broker': values.broker,
  })
    .filter(([, v]) => !v)
    .map(([flag]) => flag);
  if (missing.length > 0)
    exit(ExitCode.usage, `provision: missing ${missing.join(', ')} (no terminal to ask on)`);

  let password: string | undefined;
  if (o.passwordStdin) password = await readStdin();
  else if (o.passwordFile) password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
  else if (o.username && interactive())
    password = await ask(`password for ${o.username}: `, { secret: true });
  if (password !== undefined && !o.username) exit(ExitCode.usage, 'provision: a password needs --username');

  // Every file this provision writes, by name in the configuration folder.
  const files = new Map<string, Buffer>();
  const at = (name: string) => join(configDir, name);
  if (password !== undefined) files.set('mqtt-password', Buffer.from(`${password}\n`));
  for (const [flag, name] of [
    [o.ca, 'ca.pem'],
    [o.cert, 'client.pem'],
    [o.key, 'client.key'],
  ] as const)
    if (flag) files.set(name, readFileSync(flag));

  const doc = parseDocument(o.from ? readFileSync(o.from, 'utf8') : MINIMAL);
  doc.setIn(['node', 'id'], values.nodeId);
  doc.setIn(['node', 'site'], values.site);
  if (o.description) doc.setIn(['node', 'description'], o.description);
  doc.set('dataDir', resolve(o.dataDir));
  if (o.hardware) doc.setIn(['hardware', 'backend'], o.hardware);
  // The template's link settings stay (keepalive, reconnect…); where and how to log in are replaced,
  // and so is the comment above the section, which described the template's broker.
  const previous = doc.get('mqtt');
  const kept = isMap(previous) ? (previous.toJSON() as Record<string, unknown>) : {};
  for (const key of ['url', 'embedded', 'embeddedPort', 'username', 'passwordFile', 'tls']) delete kept[key];
  doc.delete('mqtt');
  doc.set('mqtt', doc.createNode({ url: values.broker, ...kept }));
  if (o.username) doc.setIn(['mqtt', 'username'], o.username);
  if (password !== undefined) doc.setIn(['mqtt', 'passwordFile'], at('mqtt-password'));
  if (o.ca || o.cert) {
    const tls: Record<string, string> = {};
    if (o.ca) tls.ca = at('ca.pem');
    if (o.cert) Object.assign(tls, { cert: at('client.pem'), key: at('client.key') });
    doc.setIn(['mqtt', 'tls'], doc.createNode(tls));
  }
  if (o.remoteConfig) doc.setIn(['configApply', 'enabled'], true);
  const text = doc.toString().replace(/\n*$/, '\n');
  files.set('node.yaml', Buffer.from(text));

  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(text, at('node.yaml'), deviceDefinitions);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exit(
      ExitCode.config,
      `${error.message}\nthe configuration would be invalid: fix the flags or --from; nothing was written`,
    );
  }

  const existing = [...files.keys()].filter((name) => existsSync(at(name)));
  if (existing.length > 0 && !o.force)
    exit(
      ExitCode.usage,
      `provision: ${existing.map(at).join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written. Add --force to replace (keep a copy first if unsure)`,
    );

  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const owner = ownerIds(o.owner);
  const staging = mkdtempSync(join(configDir, '.provision-'));
  try {
    for (const [name, data] of files) writeFileAtomic(join(staging, name), data, 0o600);
    if (o.brokerCheck !== false && config.mqtt) {
      // The probe reads the staged credentials: the files it checks are the ones that will be installed.
      const staged = { ...config.mqtt };
      if (staged.passwordFile) staged.passwordFile = join(staging, 'mqtt-password');
      if (staged.tls)
        staged.tls = {
          ...staged.tls,
          ...(staged.tls.ca ? { ca: join(staging, 'ca.pem') } : {}),
          ...(staged.tls.cert ? { cert: join(staging, 'client.pem'), key: join(staging, 'client.key') } : {}),
        };
      const results = await probeBroker(staged, config.node);
      for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
      if (results.some((r) => r.status === 'fail')) {
        rmSync(staging, { recursive: true, force: true });
        exit(
          ExitCode.failure,
          'provision: the broker check failed (above, with what to do); nothing was written. Fix it and run again, or add --skip-broker-check to write the files anyway (at a desk away from the lab network)',
        );
      }
    }
    for (const name of files.keys()) {
      renameSync(join(staging, name), at(name));
      if (owner) chownSync(at(name), owner.uid, owner.gid);
    }
    if (owner) chownSync(configDir, owner.uid, owner.gid);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }

  process.stdout.write(
    [
      `provisioned node ${values.site}/${values.nodeId}:`,
      ...[...files.keys()].map(
        (name) => `  wrote ${at(name)} (mode 600${owner ? `, owner ${owner.name}` : ''})`,
      ),
      o.brokerCheck === false
        ? '  broker not checked (--skip-broker-check): run benchloop doctor on the lab network'
        : `  the broker at ${values.broker} accepts these credentials`,
      `next: sudo systemctl restart benchloop; then benchloop doctor --config ${at('node.yaml')}`,
      '',
    ].join('\n'),
  );
}

/** The user the files go to: --owner, else `benchloop` when run as root and that user exists. */
function ownerIds(name: string | undefined): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = name ?? 'benchloop';
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: 'pipe' }));
    return { name: user, uid: id('-u'), gid: id('-g') };
  } catch {
    if (name) exit(ExitCode.usage, `provision: no user "${name}" (--owner)`);
    return undefined;
  }
}

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description(
      'write a node configuration and its credential files (mode 0600), check them against the broker',
    )
    .option('--config-dir <dir>', 'where the files go', '/etc/benchloop')
    .option('--from <file>', 'a configuration to start from (devices, actuators…); default: a node with none')
    .option('--node-id <id>', 'node id (MQTT topics use it)')
    .option('--site <site>', 'site id')
    .option('--description <text>', 'free text')
    .option('--broker <url>', 'mqtt://host:1883 or mqtts://host:8883')
    .option('--username <user>', 'MQTT user name')
    .option('--password-stdin', 'read the MQTT password from standard input')
    .option('--password-file <file>', 'copy the MQTT password from this file')
    .option('--ca <file>', "PEM of the CA that signed the broker's certificate (copied)")
    .option('--cert <file>', 'client certificate, PEM (copied)')
    .option('--key <file>', 'client key, PEM (copied, mode 600)')
    .option('--hardware <backend>', 'sim or real (default: as in --from, else real)')
    .option('--data-dir <dir>', "the node's data directory (outbox, state)", '/var/lib/benchloop')
    .option('--remote-config', 'allow config.apply from the orchestrator (configApply.enabled: true)')
    .option(
      '--owner <user>',
      'owner of the written files when run as root (default: benchloop, if it exists)',
    )
    .option('--force', 'replace existing files')
    .option('--skip-broker-check', 'write without asking the broker (away from the lab network)')
    .action((opts) => {
      if (opts.hardware && !['sim', 'real'].includes(opts.hardware))
        exit(ExitCode.usage, `provision: --hardware ${opts.hardware}: sim or real`);
      if (Boolean(opts.cert) !== Boolean(opts.key))
        exit(ExitCode.usage, 'provision: --cert and --key go together');
      if (opts.passwordStdin && opts.passwordFile)
        exit(ExitCode.usage, 'provision: --password-stdin or --password-file, not both');
      return provisionCommand({ ...opts, brokerCheck: !opts.skipBrokerCheck });
    });
}
