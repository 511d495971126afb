/**
 * Local inference, composed: the registry of versions on disk, the transfers of new
 * ones, the inference thread, and one runner per configured model. Built by the
 * composition root only when `models:` is configured, so a node without models
 * never starts the thread or loads ONNX Runtime.
 *
 * A version becomes active only after it loaded on the inference thread and its
 * inputs and outputs matched the config; then the registry's index is saved, and
 * only then does the runner switch to it (one assignment between two decisions).
 * Any failure before that leaves the running version as it was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelsConfig } from '../config/models-schema.js';
import type { EventHub, Hub, Sample } from '../events/event-hub.js';
import type { ModelDescription } from '../protocol/messages.js';
import { type GatePort, type LoadedVersion, ModelRunner } from './model-runner.js';
import { checkModelIo } from './model-spec.js';
import { InferenceHost } from './ort-worker.js';
import { ModelRegistry, sha256Hex } from './registry.js';
import { type TransferRequest, Transfers } from './transfers.js';

/** How long a commit waits for chunks still on their way before calling the file truncated. */
const COMMIT_WAIT_MS = 2000;

export interface InferenceLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
}

export interface InferenceDeps {
  config: ModelsConfig;
  /** Where the registry lives: `<dataDir>/models`. */
  dir: string;
  gate: GatePort;
  events: EventHub;
  samples: Hub<Sample[]>;
  monoMs(): number;
  nowMs(): number;
  log: InferenceLog;
  onRun?(model: string, runMs: number): void;
}

export type ModelOutcome<R> =
  | { ok: true; result: R }
  | { ok: false; code: 'not_found' | 'failed' | 'invalid_args'; field?: string; message: string };

export interface ModelListEntry extends ModelDescription {
  shadow?: true;
  size: number;
  installedAt: number;
}

type Check = { ok: true; loaded: LoadedVersion } | { ok: false; message: string };

export class InferenceModule {
  private readonly runners: Map<string, ModelRunner>;
  private readonly transfers: Transfers;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private loads = 0;

  private constructor(
    private readonly deps: InferenceDeps,
    readonly host: InferenceHost,
    private readonly registry: ModelRegistry,
  ) {
    const { config } = deps;
    this.runners = new Map(
      config.list.map((model) => [
        model.name,
        new ModelRunner(model, { ...deps, host, timeoutMs: config.timeoutMs, gate: deps.gate }),
      ]),
    );
    this.transfers = new Transfers({
      chunkSize: config.transfers.chunkSize,
      expireAfterMs: config.transfers.expireAfterS * 1000,
      monoMs: deps.monoMs,
    });
  }

  static async open(deps: InferenceDeps): Promise<InferenceModule> {
    const host = new InferenceHost({
      threads: deps.config.threads,
      onCrash: (error) =>
        deps.log.error({ err: error }, 'the inference thread died; it restarts at the next decision'),
    });
    return new InferenceModule(deps, host, await ModelRegistry.open(deps.dir));
  }

  /** Loads each model's active (and shadow) version, or installs the one shipped with the config; then decides on schedule. */
  async start(): Promise<void> {
    const { events } = this.deps;
    this.unsubscribe.push(
      events.subscribe((event) => {
        if (event.type !== 'actuator.changed') return;
        for (const runner of this.runners.values())
          runner.onActuatorChanged(event.actuator as string, event.value as number);
      }),
    );
    for (const runner of this.runners.values()) {
      await this.restore(runner);
      runner.start();
    }
    const sweep = setInterval(() => {
      for (const t of this.transfers.expire())
        this.deps.log.warn({ model: t.name, version: t.version }, 'model transfer expired before its commit');
    }, 5000);
    sweep.unref();
    this.timers.push(sweep);
  }

  onSamples(samples: readonly Sample[]): void {
    for (const runner of this.runners.values()) runner.onSamples(samples);
  }

  runner(name: string): ModelRunner | undefined {
    return this.runners.get(name);
  }

  begin(request: TransferRequest): ModelOutcome<{ transfer: string; chunkSize: number }> {
    const runner = this.runners.get(request.name);
    if (!runner) return this.unknown(request.name);
    const { maxBytes } = this.deps.config.transfers;
    if (request.size > maxBytes)
      return {
        ok: false,
        code: 'invalid_args',
        field: 'args.size',
        message: `${request.size} bytes is above this node's limit of ${maxBytes} (models.transfers.maxBytes)`,
      };
    const installed = this.registry.version(request.name, request.version);
    if (installed && installed.sha256 !== request.sha256)
      return {
        ok: false,
        code: 'failed',
        field: 'args.version',
        message: `version ${request.version} of ${request.name} is installed with sha256 ${installed.sha256}; a different file needs a new version`,
      };
    return { ok: true, result: this.transfers.begin(request) };
  }

  /** A chunk from `R/model/{transfer}/{index}`; synchronous, since the MQTT client acknowledges once handlers return. */
  chunk(transfer: string, index: number, payload: Uint8Array): void {
    if (!this.transfers.chunk(transfer, index, payload))
      this.deps.log.warn(
        { transfer, index },
        'model chunk for no open transfer (never begun, committed or expired): dropped',
      );
  }

  async commit(args: {
    transfer: string;
    shadow?: boolean;
  }): Promise<ModelOutcome<{ name: string; version: string; active: boolean }>> {
    const request = this.transfers.request(args.transfer);
    if (!request || !this.transfers.has(args.transfer))
      return {
        ok: false,
        code: 'not_found',
        field: 'args.transfer',
        message: `no open transfer "${args.transfer}": never begun, already committed, or expired after ${this.deps.config.transfers.expireAfterS} s`,
      };
    const taken = await this.transfers.take(args.transfer, COMMIT_WAIT_MS);
    if (!taken.ok) return this.reject(request, taken.message);
    const sha256 = sha256Hex(taken.bytes);
    if (sha256 !== request.sha256)
      return this.reject(
        request,
        `sha256 mismatch: the file received has ${sha256}, model.begin declared ${request.sha256}`,
      );
    const runner = this.runners.get(request.name)!;
    const checked = await this.check(runner, request.version, taken.bytes);
    if (!checked.ok) return this.reject(request, checked.message);
    try {
      await this.registry.install(request.name, request.version, taken.bytes, this.deps.nowMs());
      await this.registry.activate(request.name, request.version, args.shadow === true);
    } catch (error) {
      await this.host.release(checked.loaded.key);
      return this.reject(request, `cannot be stored: ${(error as Error).message}`);
    }
    this.switchTo(runner, checked.loaded, args.shadow === true ? 'shadow' : 'active');
    return {
      ok: true,
      result: { name: request.name, version: request.version, active: args.shadow !== true },
    };
  }

  async promote(name: string): Promise<ModelOutcome<{ name: string; version: string }>> {
    const runner = this.runners.get(name);
    if (!runner) return this.unknown(name);
    const shadow = runner.shadow;
    if (!shadow)
      return {
        ok: false,
        code: 'failed',
        field: 'args.name',
        message: `${name} has no version in shadow mode to promote`,
      };
    await this.registry.promote(name);
    runner.shadow = undefined;
    this.switchTo(runner, shadow, 'active');
    return { ok: true, result: { name, version: shadow.version } };
  }

  async rollback(name: string): Promise<ModelOutcome<{ name: string; version: string }>> {
    const runner = this.runners.get(name);
    if (!runner) return this.unknown(name);
    const previous = this.registry.previous(name);
    if (previous === undefined)
      return {
        ok: false,
        code: 'failed',
        field: 'args.name',
        message: `${name} has no previous version to roll back to`,
      };
    const checked = await this.readAndCheck(runner, previous);
    if (!checked.ok)
      return {
        ok: false,
        code: 'failed',
        field: 'args.name',
        message: `version ${previous} of ${name}: ${checked.message}`,
      };
    try {
      await this.registry.rollback(name);
    } catch (error) {
      await this.host.release(checked.loaded.key);
      return { ok: false, code: 'failed', message: `${name}: ${(error as Error).message}` };
    }
    this.switchTo(runner, checked.loaded, 'active', { rollback: true });
    return { ok: true, result: { name, version: previous } };
  }

  list(): { models: ModelListEntry[] } {
    return {
      models: this.registry.describe().map((m) => {
        const record = this.registry.version(m.name, m.version)!;
        return { ...m, size: record.size, installedAt: record.installedAt };
      }),
    };
  }

  /** The birth's and `describe`'s `models`. */
  describe(): Array<ModelDescription & { shadow?: true }> {
    return this.registry.describe();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    await this.host.close();
  }

  private unknown(name: string): ModelOutcome<never> {
    const known = [...this.runners.keys()].join(', ') || 'none';
    return {
      ok: false,
      code: 'not_found',
      field: 'args.name',
      message: `no model "${name}" in this node's config (models.list: ${known})`,
    };
  }

  private reject(request: TransferRequest, reason: string): ModelOutcome<never> {
    this.deps.events.emit('model.rejected', { name: request.name, version: request.version, reason });
    const running = this.runners.get(request.name)?.active?.version;
    return {
      ok: false,
      code: 'failed',
      message: `${request.name} version ${request.version} rejected: ${reason}; ${running ? `version ${running} stays active` : 'no version is active'}`,
    };
  }

  /** Loads the bytes on the inference thread under a new key and checks them against the config; releases them on a mismatch. */
  private async check(runner: ModelRunner, version: string, bytes: Uint8Array): Promise<Check> {
    const key = `${runner.name}@${version}#${++this.loads}`;
    let info: Awaited<ReturnType<InferenceHost['load']>>;
    try {
      info = await this.host.load(key, bytes);
    } catch (error) {
      return { ok: false, message: `not a model ONNX Runtime can load: ${(error as Error).message}` };
    }
    const index = this.deps.config.list.indexOf(runner.config);
    const problems = checkModelIo(info, runner.config, `models.list[${index}]`);
    if (problems.length > 0) {
      await this.host.release(key);
      return { ok: false, message: `does not match the config: ${problems.join('; ')}` };
    }
    return { ok: true, loaded: { version, sha256: sha256Hex(bytes), key } };
  }

  private async readAndCheck(runner: ModelRunner, version: string): Promise<Check> {
    try {
      return await this.check(runner, version, await this.registry.read(runner.name, version));
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }

  private switchTo(
    runner: ModelRunner,
    loaded: LoadedVersion,
    slot: 'active' | 'shadow',
    extra: object = {},
  ): void {
    const old = runner[slot];
    runner[slot] = loaded;
    if (old && old.key !== loaded.key) void this.host.release(old.key);
    this.deps.events.emit('model.activated', {
      name: runner.name,
      version: loaded.version,
      sha256: loaded.sha256,
      ...(slot === 'shadow' ? { shadow: true } : {}),
      ...extra,
    });
  }

  /** At start: the registry's active version, else older ones newest first, else the file shipped with the config. */
  private async restore(runner: ModelRunner): Promise<void> {
    const { log, events } = this.deps;
    const record = this.registry.model(runner.name);
    const candidates = record
      ? [record.active, ...[...record.previous].reverse()].filter((v): v is string => v !== null)
      : [];
    for (const version of candidates) {
      const checked = await this.readAndCheck(runner, version);
      if (checked.ok) {
        if (version !== record?.active) await this.registry.activate(runner.name, version);
        this.switchTo(runner, checked.loaded, 'active');
        break;
      }
      log.error(
        { model: runner.name, version, reason: checked.message },
        `model ${runner.name} version ${version} cannot run`,
      );
      events.emit('model.rejected', { name: runner.name, version, reason: checked.message });
    }
    if (!runner.active && runner.config.file) await this.installShipped(runner, runner.config.file);
    if (record?.shadow) {
      const checked = await this.readAndCheck(runner, record.shadow);
      if (checked.ok) this.switchTo(runner, checked.loaded, 'shadow');
      else await this.registry.clearShadow(runner.name);
    }
    if (!runner.active)
      log.warn(
        { model: runner.name },
        `model ${runner.name} has no version that can run: its outputs use their fallback`,
      );
  }

  private async installShipped(runner: ModelRunner, file: string): Promise<void> {
    const { version } = runner.config;
    const index = this.deps.config.list.indexOf(runner.config);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      this.deps.log.error(
        { model: runner.name },
        `models.list[${index}].file: cannot read ${file}: ${(error as Error).message}`,
      );
      return;
    }
    const checked = await this.check(runner, version, bytes);
    if (!checked.ok) {
      this.deps.log.error({ model: runner.name }, `models.list[${index}].file: ${file}: ${checked.message}`);
      this.deps.events.emit('model.rejected', { name: runner.name, version, reason: checked.message });
      return;
    }
    await this.registry.install(runner.name, version, bytes, this.deps.nowMs());
    await this.registry.activate(runner.name, version);
    this.switchTo(runner, checked.loaded, 'active', { from: 'config' });
  }
}

export const registryDir = (dataDir: string) => join(dataDir, 'models');
