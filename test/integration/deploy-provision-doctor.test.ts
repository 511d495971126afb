/**
 * `benchloop provision` and `benchloop doctor` as a technician runs them (the built CLI
 * in a child process) against the simulated bench and real Mosquitto brokers, one with
 * passwords and one with TLS: each failure (wrong password, wrong CA, unreachable
 * broker, missing device, unsynchronised clock) gets its own message saying what to do.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../support/daemon.js';
import { freePort, Mosquitto } from '../support/mosquitto.js';
import { type CertFiles, makeCa, makeTestPki, type TestPki } from '../support/tls-ca.js';

const PASSWORD = 'right-horse-battery';

function benchloop(args: string[], input?: string) {
  return spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    input,
    timeout: 30_000,
  });
}

let plain: Mosquitto;
let secure: Mosquitto;
let pki: TestPki;
let otherCa: CertFiles;
let work: string;
let marker: string;
let template: string;

beforeAll(async () => {
  pki = await makeTestPki();
  otherCa = await makeCa(pki.dir, 'some-other-ca');
  plain = await Mosquitto.start({ users: { bench: PASSWORD } });
  secure = await Mosquitto.start({
    tls: { caFile: pki.ca.cert, certFile: pki.server.cert, keyFile: pki.server.key },
    allowAnonymous: true,
  });
  work = mkdtempSync(join(tmpdir(), 'benchloop-provision-'));
  // The clock check reads this marker (systemd-timesyncd's, on a real node).
  marker = join(work, 'synchronized');
  writeFileSync(marker, '');
  template = join(work, 'template.yaml');
  writeFileSync(
    template,
    `# a sim bench
node: { id: template, site: template }
hardware: { backend: sim }
devices:
  - { id: chamber, type: bme280, address: 0x76 }
actuators:
  - { id: heater, type: pwm, pin: 18, envelope: { min: 0, max: 1, safe: 0 } }
clock: { syncMarkers: ['${marker}'] }
mqtt: { embedded: true, keepaliveS: 10 }
`,
  );
});

afterAll(async () => {
  await plain?.cleanup();
  await secure?.cleanup();
  pki?.remove();
});

function provision(dir: string, broker: string, extra: string[] = [], input?: string) {
  return benchloop(
    [
      'provision',
      '--config-dir',
      dir,
      '--from',
      template,
      '--node-id',
      'bench-07',
      '--site',
      'lab-b',
      '--broker',
      broker,
      '--data-dir',
      join(dir, 'data'),
      ...extra,
    ],
    input,
  );
}

const withPassword = ['--username', 'bench', '--password-stdin'] as const;

describe('benchloop provision', () => {
  it('writes the config and the password file (0600), checks the broker, prints what it did, never the password', () => {
    const dir = join(work, 'ok');
    const result = provision(dir, plain.url, [...withPassword], `${PASSWORD}\n`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('ok    broker.login');
    expect(result.stdout).toContain(`wrote ${join(dir, 'node.yaml')} (mode 600`);
    expect(result.stdout).toContain(`wrote ${join(dir, 'mqtt-password')} (mode 600`);
    expect(result.stdout).not.toContain(PASSWORD);
    for (const name of ['node.yaml', 'mqtt-password'])
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'mqtt-password'), 'utf8')).toBe(`${PASSWORD}\n`);
    const config = readFileSync(join(dir, 'node.yaml'), 'utf8');
    expect(config).toContain('id: bench-07');
    expect(config).not.toContain(PASSWORD);
    expect(config).not.toContain('embedded');
    expect(benchloop(['check', join(dir, 'node.yaml')]).status).toBe(0);
    // Staging is gone: only what was written is there.
    expect(readdirSync(dir).sort()).toEqual(['mqtt-password', 'node.yaml']);
  });

  it('refuses to overwrite without --force, and overwrites with it', () => {
    const dir = join(work, 'ok');
    const again = provision(dir, plain.url, [...withPassword], `${PASSWORD}\n`);
    expect(again.stderr).toContain('already exist');
    expect(again.stderr).toContain('--force');
    expect(again.status).toBe(64);
    const forced = provision(dir, plain.url, [...withPassword, '--force'], `${PASSWORD}\n`);
    expect(forced.status).toBe(0);
  });

  const failures: Array<[string, () => [string, string[], string | undefined], RegExp, RegExp]> = [
    [
      'a wrong password',
      () => [plain.url, [...withPassword], 'wrong\n'],
      /FAIL {2}broker\.login +connection refused \(not authorized\)/,
      /check mqtt\.username and the password in mqtt\.passwordFile/,
    ],
    [
      'a wrong CA',
      () => [secure.url, ['--ca', otherCa.cert], undefined],
      /FAIL {2}broker\.tls +TLS: the broker's certificate is not trusted/,
      /check that mqtt\.tls\.ca is the CA that signed it/,
    ],
  ];

  it.each(failures)(
    '%s: its own message with what to do, and nothing written',
    (_what, setup, message, fix) => {
      const dir = join(work, `fail-${_what.replaceAll(' ', '-')}`);
      const [broker, extra, input] = setup();
      const result = provision(dir, broker, extra, input);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(message);
      expect(result.stdout).toMatch(fix);
      expect(result.stderr).toContain('nothing was written');
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    },
  );

  it('an unreachable broker: its own message with what to do', async () => {
    const result = provision(join(work, 'fail-unreachable'), `mqtt://127.0.0.1:${await freePort()}`);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}broker\.tcp +127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(result.stdout).toContain('is the broker running and listening on that port?');
  });

  it('a good CA over TLS is accepted', () => {
    const result = provision(join(work, 'tls'), secure.url, ['--ca', pki.ca.cert]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ok {4}broker\.tls +certificate verified/);
    expect(statSync(join(work, 'tls', 'ca.pem')).mode & 0o777).toBe(0o600);
  });
});

describe('benchloop doctor', () => {
  /** A provisioned node (sim bench), then the change under test made to its config. */
  function nodeWith(
    name: string,
    change: (config: string) => string,
    broker = plain.url,
    password = PASSWORD,
  ) {
    const dir = join(work, `doctor-${name}`);
    const extra = broker === plain.url ? [...withPassword] : ['--ca', pki.ca.cert];
    const made = provision(dir, broker, [...extra, '--skip-broker-check'], `${password}\n`);
    expect(made.status).toBe(0);
    const file = join(dir, 'node.yaml');
    writeFileSync(file, change(readFileSync(file, 'utf8')));
    return file;
  }
  const doctor = (file: string) => benchloop(['doctor', '--config', file]);

  it('a healthy node: every check ok, exit 0', () => {
    const result = doctor(nodeWith('healthy', (c) => c));
    expect(result.stdout).toMatch(/ok {4}config +.*valid: node lab-b\/bench-07, sim hardware, 1 sensor/);
    expect(result.stdout).toMatch(/ok {4}device\.chamber +bme280 answers: temperature=/);
    expect(result.stdout).toMatch(/ok {4}broker\.login +logged in as bench/);
    expect(result.stdout).toMatch(/ok {4}clock +synchronised/);
    expect(result.stdout).toMatch(/ok {4}disk +\d+ MiB free/);
    expect(result.stdout).toMatch(/ok {4}file\.mqtt\.passwordFile .* mode 600/);
    expect(result.stdout).not.toContain('FAIL');
    expect(result.status).toBe(0);
  });

  it('a wrong password: broker.login fails, saying to check the user name and password', () => {
    const result = doctor(nodeWith('password', (c) => c, plain.url, 'wrong'));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}broker\.login +connection refused \(not authorized\)/);
    expect(result.stdout).toMatch(/→ check mqtt\.username and the password in mqtt\.passwordFile/);
    expect(result.stdout).not.toContain('wrong\n');
  });

  it('a wrong CA: broker.tls fails, saying which file to check', () => {
    const file = nodeWith('ca', (c) => c, secure.url);
    writeFileSync(join(work, 'doctor-ca', 'ca.pem'), readFileSync(otherCa.cert));
    const result = doctor(file);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ok {4}broker\.tcp/);
    expect(result.stdout).toMatch(/FAIL {2}broker\.tls +TLS: the broker's certificate is not trusted/);
    expect(result.stdout).toMatch(/→ check that mqtt\.tls\.ca is the CA that signed it/);
  });

  it('an unreachable broker: broker.tcp fails, saying what to check', async () => {
    const port = await freePort();
    const result = doctor(nodeWith('unreachable', (c) => c.replace(plain.url, `mqtt://127.0.0.1:${port}`)));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}broker\.tcp +127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(result.stdout).toMatch(/→ is the broker running and listening on that port\?/);
  });

  it('a missing device: its check fails with the reason and what to check; the others pass', () => {
    // The real backend's 1-Wire code on a sysfs tree with one of the two configured probes.
    const sys = join(work, 'sys');
    const present = join(sys, 'bus/w1/devices/28-000000000001');
    mkdirSync(present, { recursive: true });
    writeFileSync(
      join(present, 'w1_slave'),
      '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n',
    );
    const file = nodeWith('device', (c) =>
      c
        .replace('hardware: { backend: sim }', `hardware: { backend: real, sysfsRoot: '${sys}' }`)
        .replace(
          /devices:\n.*\nactuators:\n.*\n/,
          'devices:\n  - { id: water, type: ds18b20, romId: 28-000000000001 }\n  - { id: bath, type: ds18b20, romId: 28-0316a2791cff }\n',
        ),
    );
    const result = doctor(file);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ok {4}1-wire/);
    expect(result.stdout).toMatch(/ok {4}device\.water +ds18b20 answers: temperature=23\.125/);
    expect(result.stdout).toMatch(
      /FAIL {2}device\.bath +ds18b20: .*28-0316a2791cff not found; the bus lists 28-000000000001/,
    );
    expect(result.stdout).toMatch(/→ check the ROM id against ls \/sys\/bus\/w1\/devices/);
    expect(result.stdout).toMatch(/ok {4}broker\.login/);
  });

  it('an unsynchronised clock: says how to enable NTP', () => {
    const result = doctor(nodeWith('clock', (c) => c.replace(marker, join(work, 'no-such-marker'))));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}clock +not synchronised/);
    expect(result.stdout).toContain('sudo timedatectl set-ntp true');
  });

  it('an invalid configuration: every problem and exit 78', () => {
    const result = doctor(nodeWith('invalid', (c) => c.replace('id: chamber', 'id: chamber, perodMs: 5')));
    expect(result.status).toBe(78);
    expect(result.stdout).toMatch(
      /FAIL {2}config [\s\S]*unknown key "perodMs" \(did you mean "periodMs"\?\)/,
    );
    expect(result.stdout).toContain('benchloop check');
  });
});
