import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceDefinitions } from '../../devices/index.js';
import { ConfigError, loadConfigFile, parseConfig } from './load.js';

const base = `node:
  id: n1
  site: lab
hardware:
  backend: sim
devices:
  - id: chamber
    type: bme280
    address: 0x76
    periodMs: 1000
  - id: door
    type: gpio-input
    pin: 17
actuators:
  - id: heater
    type: pwm
    pin: 18
    envelope: { min: 0, max: 1, safe: 0 }
`;

function problems(text: string) {
  try {
    parseConfig(text, 'node.yaml', deviceDefinitions);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('accepts a valid config and fills defaults', () => {
    const config = parseConfig(base, 'node.yaml', deviceDefinitions);
    expect(config.devices[0]).toMatchObject({ id: 'chamber', bus: 1, address: 0x76, periodMs: 1000 });
    expect(config.safety.watchdog.timeoutMs).toBe(2000);
  });

  it('reports YAML syntax errors with their line', () => {
    const [p] = problems('node:\n  id: n1\n  site: [unclosed\n');
    expect(p!.message).toMatch(/YAML/);
    expect(p!.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects an unknown key, naming line, key path and the likely intended key', () => {
    const [p] = problems(base.replace('    periodMs: 1000', '    perodMs: 1000'));
    expect(p).toMatchObject({ file: 'node.yaml', line: 10, column: 5, path: 'devices[0].perodMs' });
    expect(p!.message).toContain('unknown key "perodMs" (did you mean "periodMs"?)');
    expect(p!.message).toMatch(/allowed keys: .*periodMs/);
  });

  it('rejects an unknown top-level section', () => {
    const [p] = problems(`${base}mqqt:\n  url: x\n`);
    expect(p).toMatchObject({ line: 19, column: 1, path: 'mqqt' });
  });

  it('names what was found and what was expected for a wrong type', () => {
    const [p] = problems(base.replace('periodMs: 1000', 'periodMs: fast'));
    expect(p).toMatchObject({ line: 10, path: 'devices[0].periodMs' });
    expect(p!.message).toBe('found "fast" (string); expected a number');
  });

  it('lists the allowed values of an enum', () => {
    const [p] = problems(base.replace('backend: sim', 'backend: simulated'));
    expect(p).toMatchObject({ line: 5, path: 'hardware.backend' });
    expect(p!.message).toBe('found "simulated" (string); allowed: "sim", "real"');
  });

  it('lists the known device types for an unknown type', () => {
    const [p] = problems(base.replace('type: bme280', 'type: bme999'));
    expect(p).toMatchObject({ line: 8, path: 'devices[0].type' });
    expect(p!.message).toMatch(/found "bme999".*allowed: .*"bme280"/);
  });

  it('reports a missing required key at its parent', () => {
    const [p] = problems(base.replace('  site: lab\n', ''));
    expect(p).toMatchObject({ path: 'node.site', line: 2 });
    expect(p!.message).toBe('missing; expected a string');
  });

  it('reports a value out of range with the bound', () => {
    const [p] = problems(base.replace('periodMs: 1000', 'periodMs: 5'));
    expect(p!.path).toBe('devices[0].periodMs');
    expect(p!.message).toContain('found 5 (number); value must be ≥ 10');
  });

  it('rejects an address the chip cannot take', () => {
    const [p] = problems(base.replace('address: 0x76', 'address: 0x50'));
    expect(p).toMatchObject({ line: 9, path: 'devices[0].address' });
    expect(p!.message).toBe('found 0x50; a bme280 answers at 0x76, 0x77');
  });

  it('rejects references to channels and actuators that do not exist', () => {
    const text = `${base}interlocks:\n  - id: hot\n    when: { channel: chamber/temp, above: 40 }\n    force: { heatr: 0 }\n`;
    const found = problems(text);
    expect(found.map((p) => p.path)).toEqual(['interlocks[0].when.channel', 'interlocks[0].force.heatr']);
    expect(found[0]!.message).toMatch(
      /device "chamber" has no channel "temp"; its channels: temperature, pressure, humidity/,
    );
    expect(found[1]!.message).toBe('no actuator "heatr"; actuators: heater');
    expect(found[1]!.line).toBe(22);
  });

  it('rejects a safe value outside the envelope and duplicate ids and pins', () => {
    const text = base
      .replace('safe: 0 }', 'safe: 2 }')
      .replace(
        '  - id: door\n    type: gpio-input\n    pin: 17',
        '  - id: chamber\n    type: gpio-input\n    pin: 18',
      );
    const found = problems(text);
    expect(found.map((p) => `${p.line}:${p.path}`)).toEqual([
      '11:devices[1].id',
      '17:actuators[0].pin',
      '18:actuators[0].envelope.safe',
    ]);
    expect(found[2]!.message).toBe('found 2; the safe value must lie in [0, 1]');
  });

  it('reports every problem at once, in file order', () => {
    const text = base
      .replace('backend: sim', 'backend: x')
      .replace('periodMs: 1000', 'periodMs: -1')
      .replace('pin: 18', 'pin: 99');
    const found = problems(text);
    expect(found.map((p) => p.path)).toEqual(['hardware.backend', 'devices[0].periodMs', 'actuators[0].pin']);
  });

  it('validates device options of each type, strictly', () => {
    const [p] = problems(base.replace('    periodMs: 1000', '    oversampling: { temperature: 3 }'));
    expect(p!.path).toBe('devices[0].oversampling.temperature');
    expect(p!.line).toBe(10);
  });

  it("runs a device's own rules across its options (INA219: the shunt range must hold the maximum current)", () => {
    const text = base.replace(
      '  - id: door\n',
      '  - id: power\n    type: ina219\n    address: 0x40\n    shuntOhms: 0.1\n    maxCurrentA: 10\n  - id: door\n',
    );
    const [p] = problems(text);
    expect(p).toMatchObject({ path: 'devices[1]', line: 11 });
    expect(p!.message).toMatch(/shunt|current/i);
  });

  it("refuses a model's fixed fallback outside the actuator's envelope (refused, never clamped)", () => {
    const models = `models:
  list:
    - name: policy
      file: policy.onnx
      version: "1"
      everyMs: 1000
      inputs:
        - name: t
          shape: [1, 1]
          features:
            - { channel: chamber/temperature, window: 1, valid: [0, 60] }
      outputs:
        - name: duty
          drive: { actuator: heater, fallback: { value: 1.5 } }
`;
    const found = problems(base + models);
    expect(found.map((p) => p.path)).toContain('models.list[0].outputs[0].drive.fallback.value');
    expect(found.find((p) => p.path.endsWith('fallback.value'))!.message).toBe(
      'found 1.5; heater takes [0, 1]',
    );
  });

  it('resolves a relative dataDir against the config file', () => {
    const dir = join(import.meta.dirname, '../../deploy/examples');
    const { config } = loadConfigFile(join(dir, 'incubator.yaml'), deviceDefinitions);
    expect(config.dataDir).toBe(join(dir, '../../data/incubator-01'));
  });

  it('accepts every example config in deploy/examples', () => {
    const dir = join(import.meta.dirname, '../../deploy/examples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      expect(() => loadConfigFile(join(dir, file), deviceDefinitions), file).not.toThrow();
    }
  });
});
