/** The CLI as a user runs it: the built binary, real files, exit codes and output. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, repoRoot, writeConfig } from '../support/daemon.js';

const benchloop = (...args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });

const lab = `
node: { id: cli-node, site: test }
dataDir: DATA_DIR
hardware: { backend: sim }
devices:
  - { id: chamber, type: bme280, address: 0x76 }
  - { id: air, type: sht3x, address: 0x44 }
  - { id: adc, type: ads1115, address: 0x48 }
  - { id: precise, type: tmp117, address: 0x49 }
  - { id: probe, type: mcp9808, address: 0x18 }
  - { id: power, type: ina219, address: 0x40 }
  - { id: door, type: gpio-input, pin: 17 }
actuators:
  - { id: heater, type: pwm, pin: 18, envelope: { min: 0, max: 1, safe: 0 } }
  - { id: fan, type: relay, pin: 23, envelope: { min: 0, max: 1, safe: 1 } }
# Tests start servers on free ports only: no status page on the default 8080.
web: { enabled: false }
`;

describe('benchloop CLI', () => {
  it('check: valid config exits 0 with a summary', () => {
    const { file } = writeConfig(lab);
    const result = benchloop('check', file);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('valid — node test/cli-node, sim hardware, 7 device(s), 2 actuator(s)');
  });

  it('check: every problem on stderr with file:line:column, exit 78', () => {
    const { file } = writeConfig(
      lab.replace('address: 0x76', 'adress: 0x76').replace('safe: 1 }', 'safe: 3 }'),
    );
    const result = benchloop('check', file);
    expect(result.status).toBe(78);
    expect(result.stderr).toContain(
      `${file}:6:34: devices[0].adress: unknown key "adress" (did you mean "address"?)`,
    );
    expect(result.stderr).toMatch(new RegExp(`${file}:15:\\d+: actuators\\[1\\].envelope.safe: found 3`));
    expect(result.stderr).toContain('2 problem(s)');
  });

  it('check: a missing file is a config error naming the file', () => {
    const result = benchloop('check', '/nonexistent/node.yaml');
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/\/nonexistent\/node.yaml:1:1: cannot read/);
  });

  it('schema: a JSON Schema that knows every device type and rejects unknown keys', () => {
    const schema = JSON.parse(execFileSync(process.execPath, [cliPath, 'schema'], { encoding: 'utf8' }));
    expect(schema.$schema).toMatch(/json-schema.org/);
    expect(schema.additionalProperties).toBe(false);
    const types = schema.properties.devices.items.oneOf.map(
      (o: { properties: { type: { const: string } } }) => o.properties.type.const,
    );
    expect(types).toEqual(
      expect.arrayContaining([
        'bme280',
        'sht3x',
        'ads1115',
        'tmp117',
        'mcp9808',
        'ina219',
        'ds18b20',
        'gpio-input',
      ]),
    );
  });

  it('read: one reading of every channel from the simulated chips, touching no actuator', () => {
    const { file, dataDir } = writeConfig(lab);
    const result = benchloop('read', '--config', file, '--json');
    expect(result.status).toBe(0);
    const samples = JSON.parse(result.stdout) as Array<{ d: string; c: string; v: number | null }>;
    const value = (d: string, c: string) => samples.find((s) => s.d === d && s.c === c)?.v;
    expect(value('chamber', 'temperature')).toBeCloseTo(21, 0);
    expect(value('chamber', 'pressure')).toBeCloseTo(101_325, -2);
    expect(value('air', 'humidity')).toBeGreaterThan(0);
    expect(value('door', 'level')).toBe(0);
    expect(samples.every((s) => s.v !== null)).toBe(true);
    expect(existsSync(join(dataDir, 'sim/gpio/pwm18'))).toBe(false);
  });

  it('read: one device by id, human-readable', () => {
    const { file } = writeConfig(lab);
    const result = benchloop('read', '--config', file, 'chamber');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^chamber\/temperature\s+2\d\.\d+ Cel$/m);
    expect(result.stdout).not.toContain('air/');
  });

  it('scan: finds and identifies every chip on the simulated bus and prints a config snippet', () => {
    const { file } = writeConfig(lab);
    const result = benchloop('scan', '--config', file, '--bus', '1');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('simulated i2c-1: 6 address(es) answer');
    for (const [address, type] of [
      ['0x18', 'mcp9808'],
      ['0x40', 'ina219'],
      ['0x44', 'sht3x'],
      ['0x48', 'ads1115'],
      ['0x49', 'tmp117'],
      ['0x76', 'bme280'],
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${address}  ${type}$`, 'm'));
    }
    expect(result.stdout).toContain('  - id: bme280-76\n    type: bme280\n    bus: 1\n    address: 0x76\n');
  });

  it('scan: an empty bus answers with none', () => {
    const { file } = writeConfig(lab);
    expect(benchloop('scan', '--config', file, '--bus', '3').stdout).toContain(
      'simulated i2c-3: 0 address(es) answer',
    );
  });

  it('safe: every actuator at its safe value', () => {
    const { file, dataDir } = writeConfig(lab);
    const result = benchloop('safe', '--config', file);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('heater=0 fan=1');
    expect(readFileSync(join(dataDir, 'sim/gpio/pwm18'), 'utf8').trim()).toBe('0');
    expect(readFileSync(join(dataDir, 'sim/gpio/gpio23'), 'utf8').trim()).toBe('1');
  });

  it('an unknown command is a usage error', () => {
    expect(benchloop('frobnicate').status).toBe(64);
  });
});
