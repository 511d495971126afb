/**
 * One configured model in the control loop: every `everyMs` it builds the input
 * tensors from the sources' histories, runs the active version on the inference
 * thread, and drives its outputs — events with hysteresis, derived channels, and
 * actuators through the safety gate. Whatever keeps it from a trustworthy answer
 * (inputs missing, stale, NaN or out of their valid range; an inference error or
 * timeout; an output out of range; no active version) hands each actuator to the
 * configured fallback and says so in one `model.fallback` event per streak.
 * A shadow version, when there is one, sees the same tensors and publishes what it
 * would have done as `model.decision` events, driving nothing.
 */
import type { FeatureConfig, ModelConfig, ModelOutputConfig } from '../config/models-schema.js';
import type { Envelope } from '../config/schema.js';
import type { PidState } from '../control/pid.js';
import type { EventHub, Hub, Sample } from '../events/event-hub.js';
import type { ActuatorView, WriteResult, WriteSource } from '../safety/actuators.js';
import {
  fallbackStep,
  type OutputTensor,
  outputElement,
  scaleOutput,
  thresholdStep,
  withinEnvelope,
} from './decisions.js';
import { buildInput, type FeatureWindow, History, resample } from './features.js';
import { type Feed, type InferenceHost, InferenceTimeout } from './ort-worker.js';

/** The safety gate, as a model sees it. */
export interface GatePort {
  get(id: string): ActuatorView | undefined;
  envelope(id: string): Envelope | undefined;
  set(id: string, value: number, source: WriteSource): Promise<WriteResult>;
}

export interface RunnerDeps {
  host: InferenceHost;
  gate: GatePort;
  events: EventHub;
  samples: Hub<Sample[]>;
  monoMs(): number;
  nowMs(): number;
  timeoutMs: number;
  /** Each inference's time on the worker, for the status page's latency histogram. */
  onRun?(model: string, runMs: number): void;
}

/** A version loaded on the inference thread. */
export interface LoadedVersion {
  version: string;
  sha256: string;
  key: string;
}

export type FallbackReason = 'missing' | 'nan' | 'out_of_range' | 'error' | 'timeout' | 'no_model';

export interface RunnerStats {
  decisions: number;
  fallbacks: number;
  skipped: number;
  /** Sum of the time spent inside `session.run` on the inference thread, and of whole decisions. */
  runMs: number;
  decisionMs: number;
}

const featureKey = (f: FeatureConfig) => ('channel' in f ? f.channel : `actuator:${f.actuator}`);
const TYPED = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;

export class ModelRunner {
  active: LoadedVersion | undefined;
  shadow: LoadedVersion | undefined;
  readonly stats: RunnerStats = { decisions: 0, fallbacks: 0, skipped: 0, runMs: 0, decisionMs: 0 };
  private readonly histories = new Map<string, History>();
  private readonly raised: boolean[];
  private readonly pid: PidState[];
  private fallback: { reason: FallbackReason; message: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly fetches: string[];

  constructor(
    readonly config: ModelConfig,
    private readonly deps: RunnerDeps,
  ) {
    const spans = new Map<string, number>();
    const keep = (key: string, ms: number) => spans.set(key, Math.max(ms, spans.get(key) ?? 0));
    for (const input of config.inputs)
      for (const feature of input.features)
        keep(
          featureKey(feature),
          (feature.window + 1) * config.everyMs + ('maxAgeMs' in feature ? feature.maxAgeMs : 0),
        );
    for (const output of config.outputs) {
      const rule = ruleOf(output);
      if (rule) keep(rule.input, 60_000);
    }
    for (const [key, ms] of spans) this.histories.set(key, new History(ms));
    this.raised = config.outputs.map(() => false);
    this.pid = config.outputs.map(() => ({ integral: 0 }));
    this.fetches = [...new Set(config.outputs.map((o) => o.name))];
  }

  get name(): string {
    return this.config.name;
  }

  /** Feeds the histories; a hub listener, so it only records. */
  onSamples(samples: readonly Sample[]): void {
    const now = this.deps.monoMs();
    for (const sample of samples) this.histories.get(`${sample.d}/${sample.c}`)?.push(now, sample.v);
  }

  onActuatorChanged(actuator: string, value: number): void {
    this.histories.get(`actuator:${actuator}`)?.push(this.deps.monoMs(), value);
  }

  start(): void {
    this.timer = setInterval(() => void this.decide(), this.config.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One decision; a tick that comes while the last decision still runs is skipped (and counted). */
  decide(): Promise<void> {
    if (this.running) {
      this.stats.skipped++;
      return this.running;
    }
    this.running = this.decideNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async decideNow(): Promise<void> {
    const started = this.deps.monoMs();
    this.stats.decisions++;
    const feeds = this.buildFeeds(started);
    const active = this.active;
    if (!feeds.ok) await this.fallBack(feeds.reason, feeds.message);
    else if (!active) await this.fallBack('no_model', 'no version of this model is active');
    else {
      const outcome = await this.infer(active, feeds.feeds);
      if (outcome.ok) await this.drive(active, outcome.values);
      else await this.fallBack(outcome.reason, outcome.message);
    }
    const shadow = this.shadow;
    if (shadow) {
      const outcome = feeds.ok
        ? await this.infer(shadow, feeds.feeds)
        : { ok: false as const, reason: feeds.reason, message: feeds.message };
      this.deps.events.emit('model.decision', {
        model: this.name,
        version: shadow.version,
        shadow: true,
        ...(outcome.ok
          ? {
              decisions: Object.fromEntries(
                this.config.outputs.map((o, i) => [target(o), shadowValue(o, outcome.values[i]!)]),
              ),
            }
          : { fallback: outcome.reason, message: outcome.message }),
      });
    }
    this.stats.decisionMs += this.deps.monoMs() - started;
  }

  private buildFeeds(
    now: number,
  ): { ok: true; feeds: Record<string, Feed> } | { ok: false; reason: FallbackReason; message: string } {
    for (const id of this.actuatorSources()) {
      const value = this.deps.gate.get(id)?.value;
      if (value !== undefined) this.histories.get(`actuator:${id}`)?.push(now, value);
    }
    const feeds: Record<string, Feed> = {};
    for (const input of this.config.inputs) {
      const windows: FeatureWindow[] = input.features.map((feature) => {
        const key = featureKey(feature);
        return {
          label: 'channel' in feature ? feature.channel : `actuator ${feature.actuator}`,
          slots: resample(
            this.histories.get(key)!.all,
            now,
            feature.window,
            this.config.everyMs,
            'maxAgeMs' in feature ? feature.maxAgeMs : undefined,
          ),
          valid: feature.valid,
          scale: feature.scale,
        };
      });
      const built = buildInput(windows);
      if (!built.ok)
        return {
          ok: false,
          reason: built.problem.reason,
          message: `input ${input.name}: ${built.problem.message}`,
        };
      const data =
        input.type === 'int64'
          ? BigInt64Array.from(built.values.map((v) => BigInt(Math.round(v))))
          : TYPED[input.type].from(built.values);
      feeds[input.name] = { type: input.type, dims: input.shape, data };
    }
    return { ok: true, feeds };
  }

  private actuatorSources(): string[] {
    return this.config.inputs.flatMap((i) =>
      i.features.flatMap((f) => ('actuator' in f ? [f.actuator] : [])),
    );
  }

  private async infer(
    version: LoadedVersion,
    feeds: Record<string, Feed>,
  ): Promise<{ ok: true; values: number[] } | { ok: false; reason: FallbackReason; message: string }> {
    try {
      const result = await this.deps.host.run(
        version.key,
        feeds,
        this.fetches,
        this.config.timeoutMs ?? this.deps.timeoutMs,
      );
      this.stats.runMs += result.runMs;
      this.deps.onRun?.(this.config.name, result.runMs);
      const values: number[] = [];
      for (const output of this.config.outputs) {
        const element = outputElement(
          output.name,
          result.outputs[output.name] as OutputTensor | undefined,
          output.index,
          output.valid,
        );
        if (!element.ok) return { ok: false, reason: 'error', message: element.message };
        values.push(element.value);
      }
      return { ok: true, values };
    } catch (error) {
      const timeout = error instanceof InferenceTimeout;
      return {
        ok: false,
        reason: timeout ? 'timeout' : 'error',
        message: `inference: ${(error as Error).message}`,
      };
    }
  }

  private async drive(version: LoadedVersion, values: number[]): Promise<void> {
    const source: WriteSource = { kind: 'model', id: `${this.name}@${version.version}` };
    const writes: Promise<unknown>[] = [];
    this.config.outputs.forEach((output, i) => {
      const value = values[i]!;
      const drive = output.drive;
      if ('event' in drive) {
        const raised = thresholdStep(this.raised[i]!, value, drive);
        if (raised === this.raised[i]) return;
        this.raised[i] = raised;
        this.deps.events.emit('model.alert', {
          model: this.name,
          version: version.version,
          alert: drive.event,
          state: raised ? 'raised' : 'cleared',
          value,
          ...(drive.above !== undefined ? { above: drive.above } : { below: drive.below }),
        });
      } else if ('channel' in drive) {
        this.publish(drive.channel, scaleOutput(value, drive.scale));
      } else {
        writes.push(this.write(drive.actuator, scaleOutput(value, drive.scale), source));
      }
    });
    await Promise.all(writes);
    if (this.fallback) {
      this.deps.events.emit('model.recovered', {
        model: this.name,
        version: version.version,
        after: this.fallback.reason,
      });
      this.fallback = undefined;
    }
  }

  private async fallBack(reason: FallbackReason, message: string): Promise<void> {
    this.stats.fallbacks++;
    const written: Array<{ actuator: string; value: number; via: string }> = [];
    const writes = this.config.outputs.map(async (output, i) => {
      const drive = output.drive;
      if ('channel' in drive) this.publish(drive.channel, null, message);
      if (!('actuator' in drive)) return;
      const current = this.deps.gate.get(drive.actuator);
      const envelope = this.deps.gate.envelope(drive.actuator);
      if (!current || !envelope) return;
      const rule = ruleOf(output);
      const latest = rule ? this.histories.get(rule.input)?.latest() : undefined;
      const input =
        latest && latest.v !== null && Number.isFinite(latest.v)
          ? { v: latest.v, t: this.deps.nowMs() }
          : undefined;
      const step = fallbackStep(drive.fallback, envelope, current.value, input, this.pid[i]!);
      this.pid[i] = step.pid;
      written.push({ actuator: drive.actuator, value: step.value, via: step.via });
      await this.write(drive.actuator, step.value, { kind: 'model', id: `${this.name}:fallback` });
    });
    await Promise.all(writes);
    if (this.fallback?.reason === reason) return;
    this.fallback = { reason, message };
    this.deps.events.emit('model.fallback', {
      model: this.name,
      version: this.active?.version ?? null,
      reason,
      message,
      actuators: written,
    });
  }

  /** Through the gate, kept inside the envelope; an interlock's hold wins (the write is not even asked for). */
  private async write(actuator: string, requested: number, source: WriteSource): Promise<void> {
    const current = this.deps.gate.get(actuator);
    const envelope = this.deps.gate.envelope(actuator);
    if (!current || !envelope || current.heldBy || !Number.isFinite(requested)) return;
    const value = withinEnvelope(requested, current.value, envelope);
    if (value === current.value) return;
    const result = await this.deps.gate.set(actuator, value, source);
    if (!result.ok && result.code !== 'busy')
      this.deps.events.emit('model.refused', {
        model: this.name,
        actuator,
        value,
        code: result.code,
        message: result.message,
      });
  }

  private publish(channel: string, value: number | null, error?: string): void {
    const sample: Sample = { d: this.name, c: channel, t: this.deps.nowMs(), v: value };
    if (value === null) Object.assign(sample, { q: 'bad', e: error });
    this.deps.samples.publish([sample]);
  }
}

function ruleOf(output: ModelOutputConfig) {
  const drive = output.drive;
  return 'fallback' in drive && typeof drive.fallback === 'object' && 'rule' in drive.fallback
    ? drive.fallback.rule
    : undefined;
}

function target(output: ModelOutputConfig): string {
  const drive = output.drive;
  return 'event' in drive ? drive.event : 'channel' in drive ? drive.channel : drive.actuator;
}

function shadowValue(output: ModelOutputConfig, value: number): number | boolean {
  const drive = output.drive;
  if ('event' in drive) return drive.above !== undefined ? value >= drive.above : value <= drive.below!;
  return scaleOutput(value, drive.scale);
}
