/** Rules every device folder obeys, and every folder's golden cases. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { deviceDefinitions } from '../../devices/index.js';
import { parseConfig } from '../../src/config/load.js';
import { loadGoldenCases, runGoldenCase } from './golden.js';

const devicesDir = join(import.meta.dirname, '../../devices');
const folders = readdirSync(devicesDir).filter((f) => statSync(join(devicesDir, f)).isDirectory());

describe('device registry', () => {
  it('registers every folder of devices/ exactly once, under the folder name', () => {
    const types = deviceDefinitions.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual([...folders].sort());
  });
});

describe.each(deviceDefinitions.map((d) => [d.type, d] as const))('%s', (type, definition) => {
  const folder = join(devicesDir, type);

  it('has a README whose YAML config sample is valid config', () => {
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    const sample = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(sample, 'a ```yaml block').toBeDefined();
    expect(sample).toContain(`type: ${type}`);
    const parsed = parse(sample!);
    // A sample is a whole `devices:`/`actuators:` section, a list of entries, or one entry.
    const entries: Array<{ type: string }> = Array.isArray(parsed)
      ? parsed
      : parsed.type
        ? [parsed]
        : [...(parsed.devices ?? []), ...(parsed.actuators ?? [])];
    const byKind = (kind: string) =>
      entries.filter((e) => deviceDefinitions.find((d) => d.type === e.type)?.kind === kind);
    const config = {
      node: { id: 'readme', site: 'test' },
      hardware: { backend: 'sim' },
      devices: byKind('sensor'),
      actuators: byKind('actuator'),
    };
    expect(() =>
      parseConfig(stringify(config), `devices/${type}/README.md`, deviceDefinitions),
    ).not.toThrow();
  });

  const cases = loadGoldenCases(folder);
  if (definition.transport === 'i2c' || definition.transport === '1-wire') {
    it('ships golden test cases', () => {
      expect(existsSync(join(folder, 'testcases'))).toBe(true);
      expect(cases.length).toBeGreaterThan(0);
    });
  }
  it.each(cases.map((c) => [c.file, c] as const))('golden case %s', async (_file, golden) => {
    const readings = await runGoldenCase(definition, golden);
    for (const [channel, expected] of Object.entries(golden.expected)) {
      const reading = readings.find((r) => r.channel === channel);
      expect(reading, `channel ${channel}`).toBeDefined();
      if (expected === null) {
        expect(reading!.value).toBeNull();
      } else if (golden.tolerance) {
        expect(reading!.value!).toBeCloseTo(expected, -Math.log10(golden.tolerance));
      } else {
        expect(reading!.value).toBe(expected);
      }
    }
  });
});
