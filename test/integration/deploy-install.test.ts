/**
 * deploy/install/install.sh run for real against a temporary root: real files, the real
 * `useradd`/`groupadd` on that root's user database (--prefix), the release it installs
 * run afterwards. Host services are test doubles on PATH that record their calls:
 * `systemctl`, `apt-get`, `udevadm`, `npm` (links this repository's node_modules instead
 * of downloading and compiling them) and, for the 32-bit case, `dpkg`.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/daemon.js';

const installer = join(repoRoot, 'deploy/install/install.sh');

function fakeBin(log: string, extra: Record<string, string> = {}): string {
  const bin = mkdtempSync(join(tmpdir(), 'benchloop-fakebin-'));
  const record = (name: string, body = '') =>
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >>"${log}"\n${body}\nexit 0\n`, {
      mode: 0o755,
    });
  record('systemctl');
  record('apt-get');
  record('udevadm');
  record(
    'npm',
    `echo "npm-env ONNXRUNTIME_NODE_INSTALL=$ONNXRUNTIME_NODE_INSTALL npm_config_build_from_source=$npm_config_build_from_source cwd=$(pwd)" >>"${log}"\nln -s "${join(repoRoot, 'node_modules')}" node_modules`,
  );
  for (const [name, body] of Object.entries(extra)) record(name, body);
  return bin;
}

/** A root with just enough of /etc for useradd --prefix. */
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'benchloop-root-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o600 });
  return root;
}

function install(root: string, bin: string, ...args: string[]) {
  return spawnSync('bash', [installer, '--root', root, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    timeout: 60_000,
  });
}

const nodeConfig = `
node: { id: installed-node, site: test }
dataDir: /var/lib/benchloop
hardware: { backend: sim }
devices:
  - { id: chamber, type: bme280, address: 0x76 }
`;

describe('install.sh against a temporary root', () => {
  let root: string;
  let log: string;
  let bin: string;
  let first: ReturnType<typeof install>;
  let config: string;

  beforeAll(() => {
    root = tempRoot();
    log = join(root, 'calls.log');
    bin = fakeBin(log);
    config = join(mkdtempSync(join(tmpdir(), 'benchloop-cfg-')), 'node.yaml');
    writeFileSync(config, nodeConfig);
    first = install(root, bin, '--no-apt', '--config', config);
  });

  const uidOf = (name: string) =>
    Number(
      readFileSync(join(root, 'etc/passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`))!
        .split(':')[2],
    );

  it('installs: user and groups, release, unit, udev rules, command, config 0600, service enabled', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^gpio:x:\d+:benchloop$/m);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(/^i2c:x:\d+:benchloop$/m);
    const uid = uidOf('benchloop');
    expect(readlinkSync(join(root, 'opt/benchloop/current'))).toMatch(/^releases\/0\.\d+\.\d+-\d{8}T\d{6}Z$/);
    expect(existsSync(join(root, 'opt/benchloop/current/dist/src/cli/main.js'))).toBe(true);
    expect(readFileSync(join(root, 'etc/systemd/system/benchloop.service'), 'utf8')).toContain(
      `ExecStopPost=${process.execPath} /opt/benchloop/current/dist/src/cli/main.js safe`,
    );
    expect(existsSync(join(root, 'etc/udev/rules.d/99-benchloop.rules'))).toBe(true);
    expect(readFileSync(join(root, 'usr/local/bin/benchloop'), 'utf8')).toContain('/opt/benchloop/current/');
    const configStat = statSync(join(root, 'etc/benchloop/node.yaml'));
    expect({ mode: configStat.mode & 0o777, uid: configStat.uid }).toEqual({ mode: 0o600, uid });
    const dataStat = statSync(join(root, 'var/lib/benchloop'));
    expect({ mode: dataStat.mode & 0o777, uid: dataStat.uid }).toEqual({ mode: 0o700, uid });
    const calls = readFileSync(log, 'utf8');
    expect(calls).toContain(`systemctl --root=${root} enable benchloop.service`);
    expect(calls).toContain('npm ci --omit=dev');
    expect(calls).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm_config_build_from_source=true');
    // Installing into a root is not the running system: nothing is restarted there.
    expect(calls).not.toMatch(/systemctl (restart|daemon-reload)/);
    expect(first.stdout).toContain('not restarting benchloop');
  });

  it('the installed release runs: it validates the installed configuration', () => {
    const installed = join(root, 'etc/benchloop/node.yaml');
    const check = spawnSync(
      process.execPath,
      [join(root, 'opt/benchloop/current/dist/src/cli/main.js'), 'check', installed],
      { encoding: 'utf8' },
    );
    expect(check.stderr).toBe('');
    expect(check.stdout).toContain('valid — node test/installed-node');
  });

  it('an upgrade keeps the config, the data directory and the outbox; --rollback goes back', () => {
    const installed = join(root, 'etc/benchloop/node.yaml');
    writeFileSync(installed, `${nodeConfig}# edited on the node\n`);
    mkdirSync(join(root, 'var/lib/benchloop/outbox'), { recursive: true });
    writeFileSync(join(root, 'var/lib/benchloop/outbox/00000001.seg'), 'unsent samples');
    const before = readlinkSync(join(root, 'opt/benchloop/current'));

    const upgrade = install(root, bin, '--no-apt', '--config', config);
    expect(upgrade.status).toBe(0);
    expect(upgrade.stdout).toContain('keeping the existing');
    expect(readFileSync(installed, 'utf8')).toContain('# edited on the node');
    expect(readFileSync(join(root, 'var/lib/benchloop/outbox/00000001.seg'), 'utf8')).toBe('unsent samples');
    const after = readlinkSync(join(root, 'opt/benchloop/current'));
    expect(after).not.toBe(before);
    expect(readlinkSync(join(root, 'opt/benchloop/previous'))).toBe(before);
    // The user exists already: not created twice.
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8').match(/^benchloop:/gm)).toHaveLength(1);

    const rollback = install(root, bin, '--rollback');
    expect(rollback.status).toBe(0);
    expect(readlinkSync(join(root, 'opt/benchloop/current'))).toBe(before);
    expect(readlinkSync(join(root, 'opt/benchloop/previous'))).toBe(after);
    expect(readFileSync(installed, 'utf8')).toContain('# edited on the node');
  });

  it('asks apt for what native addons need to build', () => {
    const aptRoot = tempRoot();
    const aptLog = join(aptRoot, 'calls.log');
    const result = install(aptRoot, fakeBin(aptLog), '--no-start');
    expect(result.status).toBe(0);
    expect(readFileSync(aptLog, 'utf8')).toMatch(/apt-get install .*build-essential python3/);
  });

  it('a 32-bit OS is refused, saying why', () => {
    const armRoot = tempRoot();
    const armBin = fakeBin(join(armRoot, 'calls.log'), { dpkg: 'echo armhf' });
    chmodSync(join(armBin, 'dpkg'), 0o755);
    const result = install(armRoot, armBin, '--no-apt');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('this is a 32-bit system (armhf)');
    expect(result.stderr).toContain('onnxruntime-node ships no 32-bit ARM build');
    expect(existsSync(join(armRoot, 'opt/benchloop'))).toBe(false);
  });
});
