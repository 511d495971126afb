/**
 * The dependency rules of the code base (README §Architecture), checked on the
 * import statements of every source file: drivers see only the device contract,
 * each third-party runtime has exactly one importer, and the layers of src/ point
 * one way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.includes('.test-support.')
      ? [path]
      : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  // `from 'x'`, `import('x')`, `require('x')` and `createRequire(…)('x')`.
  const specifiers = [
    ...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\)\(\s*)'([^']+)'/g),
  ].map((m) => m[1]!);
  return specifiers.map((s) => (s.startsWith('.') ? relative(root, resolve(root, dirname(file), s)) : s));
}

/** Libraries loaded by `import(NAME)` where NAME is a constant holding the package name (so TypeScript needs no types for it). */
function lazyImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/import\(\s*([A-Za-z_$][\w$]*)\s*\)/g)].flatMap((m) => {
    const value = new RegExp(`\\b${m[1]}(?::\\s*\\w+)?\\s*=\\s*'([^']+)'`).exec(text);
    return value ? [value[1]!] : [];
  });
}

const files = [...sourceFiles('src'), ...sourceFiles('devices')];
const imports = new Map(files.map((f) => [f, importsOf(f)]));

// What each folder may import from the project, besides itself. main.ts and cli/ compose everything.
const layers: Record<string, string[]> = {
  'device-kit': [],
  // The config schema mounts each feature's section; sections sit in config/ so it never imports a feature.
  config: ['device-kit', 'protocol', 'outbox'],
  events: ['device-kit'],
  hal: ['device-kit', 'config'],
  bench: ['device-kit', 'config'],
  scheduler: ['device-kit', 'config', 'events'],
  safety: ['device-kit', 'config', 'events', 'protocol'],
  control: ['config', 'events', 'safety'],
  outbox: [],
  protocol: [],
  store: ['protocol'],
  commands: ['protocol', 'config'],
  sync: ['protocol', 'outbox', 'events', 'commands', 'config', 'store'],
  inference: ['config', 'events', 'safety', 'control', 'store', 'protocol'],
  // Experiment plans: validated against the config, run through the safety gate on the scheduler's timers,
  // state kept with the store's durable files. Commands reach them only through their PlanPort.
  plans: ['config', 'events', 'safety', 'protocol', 'device-kit', 'scheduler', 'store'],
  // Orchestrator side: the wire protocol and the MQTT link, nothing of the node's runtime.
  client: ['protocol', 'sync'],
  // The status page sits on top: it reads what the layers below report and writes only through the safety gate.
  web: ['config', 'events', 'safety', 'device-kit'],
};

describe('architecture', () => {
  it('drivers and simulators import only the device-kit and their own folder', () => {
    const offences: string[] = [];
    for (const file of files.filter((f) => f.startsWith('devices/') && f !== 'devices/index.ts')) {
      const folder = dirname(file);
      for (const target of imports.get(file)!) {
        const allowed = target === 'src/device-kit/index.js' || target.startsWith(`${folder}/`);
        if (!allowed) offences.push(`${file} imports ${target}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('each third-party runtime is imported by exactly one module', () => {
    const owners: Record<string, string> = {
      'i2c-bus': 'src/hal/real/i2c.ts',
      onoff: 'src/hal/real/onoff-gpio.ts',
      pigpio: 'src/hal/real/pigpio-gpio.ts',
      'better-sqlite3': 'src/outbox/sqlite-store.ts',
      lowdb: 'src/store/state-store.ts',
      mqtt: 'src/sync/mqtt-link.ts',
      aedes: 'src/sync/embedded-broker.ts',
      // Only the inference thread's source loads it, so a node without models never does.
      'onnxruntime-node': 'src/inference/ort-worker.ts',
      'prom-client': 'src/web/metrics.ts',
    };
    for (const [library, owner] of Object.entries(owners)) {
      const importers = files.filter((f) => imports.get(f)!.includes(library));
      const dynamic = files.filter((f) => lazyImports(f).includes(library));
      expect({ library, importers: [...new Set([...importers, ...dynamic])] }).toEqual({
        library,
        importers: [owner],
      });
    }
  });

  it('layers of src/ depend only on the layers below them', () => {
    const offences: string[] = [];
    for (const file of files.filter((f) => f.startsWith('src/'))) {
      const layer = file.split('/')[1]!;
      if (!(layer in layers)) continue;
      for (const target of imports.get(file)!) {
        if (!target.startsWith('src/') && !target.startsWith('devices/')) continue;
        const targetLayer = target.startsWith('devices/') ? 'devices' : target.split('/')[1]!;
        if (targetLayer !== layer && !layers[layer]!.includes(targetLayer))
          offences.push(`${file} imports ${target}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('only the composition root (main.ts, cli/) imports the web layer', () => {
    const offences = files.flatMap((file) =>
      file.startsWith('src/web/') || file === 'src/main.ts' || file.startsWith('src/cli/')
        ? []
        : imports
            .get(file)!
            .filter((target) => target.startsWith('src/web/'))
            .map((target) => `${file} imports ${target}`),
    );
    expect(offences).toEqual([]);
  });

  it('every src/ folder is placed in the layer rules', () => {
    const layered = [...Object.keys(layers), 'cli'];
    const folders = readdirSync(join(root, 'src')).filter((f) =>
      statSync(join(root, 'src', f)).isDirectory(),
    );
    expect(folders.filter((f) => !layered.includes(f))).toEqual([]);
  });
});
