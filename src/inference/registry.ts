/**
 * Model versions on disk: `<dataDir>/models/<name>/<version>.onnx`, and one index,
 * `registry.json`, saying for each model which version is active, which runs in
 * shadow, and which were active before (the rollback stack), with every version's
 * sha256. The index is written atomically and fsynced (the store's durable file),
 * model files likewise, so the active version survives restarts and power cuts.
 * A version's file is checked against its sha256 whenever it is read back.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ModelDescription } from '../protocol/messages.js';
import { DurableJsonFile } from '../store/durable-json-file.js';

/** Versions kept per model besides the active and shadow ones: the rollback depth. */
const KEEP_PREVIOUS = 4;

const versionSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.int().min(0),
  installedAt: z.int(),
});

const modelSchema = z.strictObject({
  active: z.string().nullable(),
  shadow: z.string().nullable(),
  /** Versions active before, oldest first: `model.rollback` goes back to the last. */
  previous: z.array(z.string()),
  versions: z.record(z.string(), versionSchema),
});

const indexSchema = z.strictObject({ format: z.literal(1), models: z.record(z.string(), modelSchema) });

export type VersionRecord = z.output<typeof versionSchema>;
type ModelRecord = z.output<typeof modelSchema>;
type Index = z.output<typeof indexSchema>;

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export class ModelRegistry {
  private constructor(
    readonly dir: string,
    private readonly file: DurableJsonFile<Index>,
    private index: Index,
  ) {}

  /** Opens (creating when missing) the registry in `dir`; a damaged index is an error naming the file, never a reset. */
  static async open(dir: string): Promise<ModelRegistry> {
    await mkdir(dir, { recursive: true });
    const file = new DurableJsonFile<Index>(join(dir, 'registry.json'), (data) => {
      const result = indexSchema.safeParse(data);
      return result.success
        ? { ok: true, data: result.data }
        : {
            ok: false,
            problem: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          };
    });
    return new ModelRegistry(dir, file, (await file.read()) ?? { format: 1, models: {} });
  }

  model(name: string): Readonly<ModelRecord> | undefined {
    return this.index.models[name];
  }

  version(name: string, version: string): VersionRecord | undefined {
    return this.index.models[name]?.versions[version];
  }

  private path(name: string, version: string): string {
    return join(this.dir, name, `${version}.onnx`);
  }

  /** A version's bytes, checked against the sha256 recorded at install. */
  async read(name: string, version: string): Promise<Uint8Array> {
    const record = this.version(name, version);
    if (!record) throw new Error(`model ${name} has no version "${version}"`);
    const bytes = await readFile(this.path(name, version));
    const sha256 = sha256Hex(bytes);
    if (sha256 !== record.sha256)
      throw new Error(`${this.path(name, version)}: sha256 ${sha256} is not the recorded ${record.sha256}`);
    return bytes;
  }

  /** Writes a version's file durably and records it (not yet active); the index is saved by the next state change. */
  async install(name: string, version: string, bytes: Uint8Array, nowMs: number): Promise<VersionRecord> {
    const file = this.path(name, version);
    await mkdir(dirname(file), { recursive: true });
    await writeDurably(file, bytes);
    const record = { sha256: sha256Hex(bytes), size: bytes.byteLength, installedAt: nowMs };
    const model = this.ensure(name);
    model.versions[version] = record;
    return record;
  }

  /** `version` becomes the active one (the former goes on the rollback stack) or, with `shadow`, the shadow one. Saved before it returns. */
  async activate(name: string, version: string, shadow = false): Promise<void> {
    await this.change(name, (m) => {
      if (shadow) {
        m.shadow = version;
        return;
      }
      if (m.active !== null && m.active !== version) m.previous.push(m.active);
      m.active = version;
      if (m.shadow === version) m.shadow = null;
    });
  }

  /** The shadow version becomes the active one. */
  async promote(name: string): Promise<void> {
    const shadow = this.model(name)?.shadow;
    if (!shadow) throw new Error(`model ${name} has no shadow version`);
    await this.activate(name, shadow);
  }

  /** Back to the version active before: the current one leaves the stack. */
  async rollback(name: string): Promise<string> {
    let restored = '';
    await this.change(name, (m) => {
      const previous = m.previous.pop();
      if (previous === undefined) throw new Error(`model ${name} has no previous version`);
      m.active = previous;
      restored = previous;
    });
    return restored;
  }

  /** The version `rollback` would restore. */
  previous(name: string): string | undefined {
    return this.model(name)?.previous.at(-1);
  }

  async clearShadow(name: string): Promise<void> {
    if (!this.model(name)?.shadow) return;
    await this.change(name, (m) => {
      m.shadow = null;
    });
  }

  /** Every version of every model, as the birth and `model.list` show them. */
  describe(): Array<ModelDescription & { shadow?: true }> {
    return Object.entries(this.index.models).flatMap(([name, m]) =>
      Object.entries(m.versions).map(([version, record]) => ({
        name,
        version,
        sha256: record.sha256,
        active: m.active === version,
        ...(m.shadow === version ? { shadow: true as const } : {}),
      })),
    );
  }

  private ensure(name: string): ModelRecord {
    this.index.models[name] ??= { active: null, shadow: null, previous: [], versions: {} };
    return this.index.models[name];
  }

  /** Applies a change to a copy, saves it, and only then makes it the registry's state. */
  private async change(name: string, edit: (model: ModelRecord) => void): Promise<void> {
    const next: Index = structuredClone(this.index);
    next.models[name] ??= { active: null, shadow: null, previous: [], versions: {} };
    const model = next.models[name];
    edit(model);
    const doomed = prune(model);
    await this.file.write(next);
    this.index = next;
    await Promise.all(doomed.map((v) => unlink(this.path(name, v)).catch(() => undefined)));
  }
}

/** Drops versions beyond the rollback depth that nothing refers to; returns them. */
function prune(model: ModelRecord): string[] {
  model.previous = model.previous.filter((v, i, all) => v !== model.active && all.lastIndexOf(v) === i);
  model.previous = model.previous.slice(-KEEP_PREVIOUS);
  const kept = new Set([model.active, model.shadow, ...model.previous]);
  const byAge = Object.entries(model.versions).sort((a, b) => b[1].installedAt - a[1].installedAt);
  const doomed = byAge.filter(([v], i) => !kept.has(v) && i >= KEEP_PREVIOUS + 2).map(([v]) => v);
  for (const v of doomed) delete model.versions[v];
  return doomed;
}

/** temp file → fsync → rename → fsync of the folder: the file is whole or absent after a power cut. */
async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
