/**
 * The composition root: the one place that builds every module from the config and
 * wires them together, with no globals. Start order matters for safety: actuators
 * are opened at their safe values before anything else moves (a GPIO keeps its
 * level after a crash), and stop sends them safe again after sampling has ended.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IncubatorBench } from './bench/incubator-bench.js';
import type { RemoteConfigPort } from './commands/config-port.js';
import { CommandDispatcher } from './commands/dispatcher.js';
import { deviceOptions } from './config/device-schema.js';
import type { DeviceEntry, NodeConfig } from './config/schema.js';
import { Controllers } from './control/controllers.js';
import type { DeviceDefinition, SensorDefinition, SensorDriver, Timing } from './device-kit/index.js';
import { EventHub, Hub, type Sample } from './events/event-hub.js';
import type { Hal } from './hal/hal.js';
import { createRealHal } from './hal/real/real-hal.js';
import { createSimHal, type SimHal } from './hal/sim/sim-hal.js';
import { InferenceModule, registryDir } from './inference/inference.js';
import type { Logger } from './log.js';
import { Outbox } from './outbox/index.js';
import { PlanManager } from './plans/plan-manager.js';
import { Actuators } from './safety/actuators.js';
import { Interlocks } from './safety/interlocks.js';
import { Watchdog } from './safety/watchdog.js';
import { NodeClock } from './scheduler/clock.js';
import { DeviceSampler } from './scheduler/device-sampler.js';
import { PeriodicScheduler } from './scheduler/periodic-scheduler.js';
import { type JournaledReply, StateStore } from './store/state-store.js';
import { NodeSync } from './sync/node-sync.js';
import { version } from './version.js';
import { startWebServer, type WebServer } from './web/index.js';

export interface NodeDeps {
  definitions: readonly DeviceDefinition[];
  logger: Logger;
  /** `config.get` and `config.apply`: the supervisor of `benchloop run` provides them (src/cli/run-supervisor.ts). */
  remoteConfig?: RemoteConfigPort;
}

const timing: Timing = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  nowMs: () => performance.now(),
};

export class BenchloopNode {
  readonly bootId = randomUUID();
  readonly startedMonoMs = performance.now();
  readonly clock: NodeClock;
  readonly events: EventHub;
  readonly samples: Hub<Sample[]>;
  /** Every command reply the node sends, for the status page's "recent command replies". */
  readonly replies: Hub<JournaledReply>;
  /** Each inference's latency, for /metrics. */
  readonly inferenceRuns: Hub<{ model: string; latencyMs: number }>;
  private web: WebServer | undefined;
  readonly actuators: Actuators;
  readonly interlocks: Interlocks;
  readonly scheduler = new PeriodicScheduler();
  readonly samplers = new Map<string, DeviceSampler>();
  readonly hal: Hal;
  bench: IncubatorBench | undefined;
  /** The latest sample of every channel, by `device/channel`: for status, summaries and the status page. */
  readonly latest = new Map<string, Sample>();
  private watchdog: Watchdog | undefined;
  sync: NodeSync | undefined;
  /** Local inference: only when the config has `models:` (ONNX Runtime is never loaded otherwise). */
  inference: InferenceModule | undefined;
  private outbox: Outbox | undefined;
  private state: StateStore | undefined;
  /** Experiment plans (`plan.*` commands, docs/plans.md). */
  readonly plans: PlanManager;
  /** sha256 of the running configuration (canonical JSON of the validated config): `describe`, `config.apply`. */
  readonly configHash: string;
  private readonly intervals: NodeJS.Timeout[] = [];
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: NodeConfig,
    private readonly deps: NodeDeps,
  ) {
    const log = deps.logger;
    this.configHash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    this.clock = new NodeClock(config.clock.syncMarkers);
    const onListenerError = (error: unknown) => log.error({ err: error }, 'a listener failed');
    this.events = new EventHub(() => this.clock.nowMs(), onListenerError);
    this.samples = new Hub<Sample[]>(onListenerError);
    this.replies = new Hub<JournaledReply>(onListenerError);
    this.inferenceRuns = new Hub<{ model: string; latencyMs: number }>(onListenerError);
    this.actuators = new Actuators(this.events, () => performance.now());
    this.interlocks = new Interlocks(config.interlocks, this.actuators, this.events, () => performance.now());
    mkdirSync(config.dataDir, { recursive: true });
    this.plans = new PlanManager({
      dir: join(config.dataDir, 'plans'),
      config,
      definitions: deps.definitions,
      gate: this.actuators,
      events: this.events,
      samples: this.samples,
      clock: this.clock,
      bootId: this.bootId,
      version,
      configHash: this.configHash,
      describe: () => this.describe(),
      // A part of a plan's dataset counts as published once the outbox holds it durably.
      durable: () => this.outbox?.flush() ?? Promise.resolve(),
      log,
      partLimits: {
        maxRows: 200,
        maxBytes: Math.min(32 * 1024, Math.floor(config.outbox.batch.maxBytes / 2)),
      },
    });
    this.hal =
      config.hardware.backend === 'sim'
        ? createSimHal({
            devices: config.devices,
            definitions: deps.definitions,
            stateDir: join(config.dataDir, 'sim'),
            clock: timing,
          })
        : createRealHal({
            gpio: config.hardware.gpio,
            pwm: config.hardware.pwm,
            gpioChipLabel: config.hardware.gpioChipLabel,
            sysfsRoot: config.hardware.sysfsRoot,
            pigpioSampleRateUs: config.hardware.pigpioSampleRateUs,
            ...(config.hardware.pwmPins
              ? {
                  pwmPins: Object.fromEntries(
                    Object.entries(config.hardware.pwmPins).map(([pin, at]) => [Number(pin), at]),
                  ),
                }
              : {}),
          });
    // Dataset parts carry hundreds of samples: the log says how many, the outbox keeps them.
    this.events.subscribe((event) =>
      log.info(
        {
          event: Array.isArray(event.samples)
            ? { ...event, samples: `${event.samples.length} samples` }
            : event,
        },
        event.type,
      ),
    );
  }

  private definition(type: string): DeviceDefinition {
    const definition = this.deps.definitions.find((d) => d.type === type);
    if (!definition) throw new Error(`no device type "${type}"`);
    return definition;
  }

  /**
   * Loads the hardware libraries the config needs before anything else: pigpio's C
   * library installs its own signal handlers when it starts, so it must start
   * before ours are installed.
   */
  async preloadHardware(): Promise<void> {
    if ('preload' in this.hal && typeof this.hal.preload === 'function') await this.hal.preload();
  }

  /** Opens every output at its safe value; the first hardware action of `run` and all of `benchloop safe`. */
  async openActuatorsSafe(): Promise<void> {
    for (const entry of this.config.actuators) {
      const definition = this.definition(entry.type);
      if (definition.kind !== 'actuator') throw new Error(`${entry.id}: ${entry.type} is not an actuator`);
      const driver = definition.create({ gpio: this.hal.gpio, pin: entry.pin, timing }, deviceOptions(entry));
      this.actuators.add(entry, driver, definition.values.integer);
    }
    await this.actuators.initSafe();
  }

  async createSensor(entry: DeviceEntry): Promise<DeviceSampler> {
    const definition = this.definition(entry.type) as SensorDefinition;
    const options = deviceOptions(entry);
    let driver: SensorDriver;
    if (definition.transport === 'i2c') {
      const bus = await this.hal.i2c(entry.bus ?? 1);
      driver = definition.create(
        { bus, address: entry.address ?? definition.addresses[0]!, timing },
        options,
      );
    } else if (definition.transport === '1-wire') {
      driver = definition.create({ bus: this.hal.oneWire(), romId: entry.romId!, timing }, options);
    } else {
      driver = definition.create({ gpio: this.hal.gpio, pin: entry.pin!, timing }, options);
    }
    const sampler = new DeviceSampler(entry, definition.channels(options), driver, {
      events: this.events,
      samples: this.samples,
      nowMs: () => this.clock.nowMs(),
      retry: this.config.scheduler.retry,
    });
    this.samplers.set(entry.id, sampler);
    return sampler;
  }

  async start(): Promise<void> {
    const log = this.deps.logger;
    await this.openActuatorsSafe();
    log.info(
      { actuators: this.actuators.list().map((a) => `${a.id}=${a.value}`) },
      'actuators at their safe values',
    );
    for (const entry of this.config.devices) this.scheduler.add((await this.createSensor(entry)).task());

    this.samples.subscribe((samples) => {
      for (const sample of samples) this.latest.set(`${sample.d}/${sample.c}`, sample);
    });
    this.samples.subscribe((samples) => this.interlocks.onSamples(samples));
    const controllers = new Controllers(this.config.controllers, this.actuators);
    this.samples.subscribe((samples) => controllers.onSamples(samples));
    if (this.config.models) {
      const inference = await InferenceModule.open({
        config: this.config.models,
        dir: registryDir(this.config.dataDir),
        gate: this.actuators,
        events: this.events,
        samples: this.samples,
        monoMs: () => performance.now(),
        nowMs: () => this.clock.nowMs(),
        log,
        onRun: (model, latencyMs) => this.inferenceRuns.publish({ model, latencyMs }),
      });
      this.inference = inference;
      this.samples.subscribe((samples) => inference.onSamples(samples));
    }

    if (this.config.safety.watchdog.enabled && this.config.actuators.length > 0) {
      this.watchdog = new Watchdog({
        timeoutMs: this.config.safety.watchdog.timeoutMs,
        writes: this.actuators.forcedSafeWrites(),
        onTripped: (trip) => {
          this.actuators.markForcedSafe();
          this.events.emit('watchdog.tripped', { stalledMs: trip.stalledMs, actuators: trip.results });
        },
      });
      this.watchdog.start();
    }
    if (this.config.mqtt) await this.prepareSync(this.config.mqtt);
    // After the outbox exists, so the boot's model.activated events are kept.
    await this.inference?.start();
    // A plan the last process left running is reported interrupted (the outputs went safe above), not resumed.
    await this.plans.recover();
    this.startBench();
    this.scheduler.start();
    await this.sync?.start();
    if (this.config.web.enabled) await this.startWeb();
    this.every(250, () => this.interlocks.checkStale());
    this.every(10_000, () => this.refreshClock());
    this.started = true;
  }

  /** The page is for people, the instrument is the node's job: a port that is taken is logged, not fatal. */
  private async startWeb(): Promise<void> {
    try {
      this.web = await startWebServer({
        config: this.config.web,
        node: this,
        log: this.deps.logger,
        replies: this.replies,
        inferences: this.inferenceRuns,
      });
    } catch (error) {
      this.deps.logger.error({ err: error }, (error as Error).message);
    }
  }

  /** `read` on the simulation: the chips get the bench's air once, without the bench running. */
  feedBenchOnce(): void {
    this.startBench();
    this.bench?.stop();
  }

  /** The outbox and the command path exist before sampling starts, so no sample or event is ever missed. */
  private async prepareSync(link: NonNullable<NodeConfig['mqtt']>): Promise<void> {
    const { config, deps } = this;
    const { inFlight, ...outboxOptions } = config.outbox;
    this.outbox = await Outbox.open({
      dir: join(config.dataDir, 'outbox'),
      ...outboxOptions,
      bootId: this.bootId,
      log: deps.logger,
      now: () => this.clock.nowMs(),
    });
    const state = await StateStore.open(config.dataDir, { journalSize: config.commands.journalSize });
    this.state = state;
    const dispatcher = new CommandDispatcher({
      context: {
        bootId: this.bootId,
        version,
        nowMs: () => this.clock.nowMs(),
        uptimeMs: () => Math.round(performance.now() - this.startedMonoMs),
        session: () => state.session,
        clock: () => this.clock.status,
        configHash: () => this.configHash,
        describe: () => this.describe(),
        readNow: (device) => this.readNow(device),
        setActuator: (id, value, source) => this.actuators.set(id, value, source),
        ...(this.inference ? { models: this.inference } : {}),
        plans: this.plans,
        planRunning: () => this.plans.running(),
        ...(deps.remoteConfig ? { remoteConfig: deps.remoteConfig } : {}),
      },
      journal: {
        get: (id) => state.journal.get(id),
        put: async (reply) => {
          await state.journal.put(reply);
          this.replies.publish(reply);
        },
      },
      config: config.commands,
      emit: (type, fields) => this.events.emit(type, fields),
      log: deps.logger,
    });
    this.sync = new NodeSync({
      node: config.node,
      link,
      inFlight,
      outbox: this.outbox,
      state,
      dispatcher,
      events: this.events,
      samples: this.samples,
      birth: () => ({
        bootId: this.bootId,
        version,
        clock: this.clock.status,
        ...this.describe(),
      }),
      nowMs: () => this.clock.nowMs(),
      log: deps.logger,
      ...(this.inference ? { onModelChunk: this.inference.chunk.bind(this.inference) } : {}),
    });
    this.sync.captureData();
  }

  private startBench(): void {
    const sim = this.config.hardware.sim;
    if (this.hal.kind !== 'sim' || sim.bench !== 'incubator' || this.bench) return;
    const hal = this.hal as SimHal;
    const lines = {
      dutyCycle: (pin: number) => {
        try {
          return hal.gpio.dutyCycle(pin);
        } catch {
          return 0;
        }
      },
      drive: (pin: number, level: 0 | 1) => hal.gpio.drive(pin, level),
    };
    this.bench = new IncubatorBench(
      sim.incubator,
      lines,
      [...hal.simulators.values()],
      () => performance.now(),
      sim.seed,
    );
    this.bench.start();
  }

  private refreshClock(): void {
    const wasSynced = this.clock.status.synced;
    const step = this.clock.refresh();
    if (step) this.events.emit('clock.stepped', { steppedMs: step.steppedMs });
    if (this.clock.status.synced !== wasSynced)
      this.events.emit('clock.synced', { synced: this.clock.status.synced });
  }

  private every(ms: number, work: () => void): void {
    const timer = setInterval(work, ms);
    timer.unref();
    this.intervals.push(timer);
  }

  /** Reads now, from the hardware: one device, or all. */
  async readNow(deviceId?: string): Promise<Sample[]> {
    const samplers = deviceId ? [this.samplers.get(deviceId)] : [...this.samplers.values()];
    if (samplers.some((s) => s === undefined)) throw new Error(`no device "${deviceId}"`);
    return (await Promise.all(samplers.map((s) => s!.readNow()))).flat();
  }

  describe() {
    return {
      devices: [...this.samplers.values()].map((s) => ({
        id: s.entry.id,
        type: s.entry.type,
        channels: s.describeChannels(),
      })),
      actuators: this.actuators.list(),
      models: this.inference?.describe() ?? [],
    };
  }

  /**
   * Healthy = started, every device's latest read succeeded, and with `mqtt:` the broker
   * link is up. `config.apply` keeps a new configuration only once this holds. A tripped
   * interlock is not ill health: it is the node doing its job.
   */
  health(): { healthy: boolean; problems: string[] } {
    const problems: string[] = [];
    if (!this.started) problems.push('not started');
    for (const s of this.samplers.values())
      if (!s.health.ok)
        problems.push(`device ${s.entry.id}: ${s.health.lastError ?? 'no successful read yet'}`);
    const link = this.sync?.stats().link;
    if (this.config.mqtt && link?.state !== 'online')
      problems.push(`MQTT broker ${link?.url ?? ''}: ${link?.lastError ?? 'not connected yet'}`);
    return { healthy: problems.length === 0, problems };
  }

  /** A reply this node did not dispatch (a `config.apply` received by the node it replaced): journaled, then published. */
  async deliverReply(reply: JournaledReply): Promise<void> {
    await this.state?.journal.put(reply);
    await this.sync?.sendReply(reply);
  }

  status() {
    return {
      node: { id: this.config.node.id, site: this.config.node.site },
      version,
      bootId: this.bootId,
      uptimeMs: Math.round(performance.now() - this.startedMonoMs),
      clock: this.clock.status,
      devices: [...this.samplers.values()].map((s) => ({
        id: s.entry.id,
        type: s.entry.type,
        ...s.health,
        overruns: this.scheduler.stats(s.entry.id)?.overruns ?? 0,
        periodMs: s.entry.periodMs,
      })),
      actuators: this.actuators.list(),
      plan: this.plans.runningStatus(),
      interlocks: this.interlocks.list(),
      ...(this.bench ? { bench: this.bench.snapshot() } : {}),
    };
  }

  /** Stops sampling, sends every actuator safe, releases the hardware. Safe to call more than once. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    // First: no local-control write may reach an output after it went safe.
    await this.web?.close();
    for (const timer of this.intervals) clearInterval(timer);
    // A running plan ends aborted, its outputs safe, its ending in the outbox before the link closes.
    await this.plans.stop(reason);
    await this.scheduler.stop();
    // Models stop deciding before the outputs go safe, so none writes after.
    await this.inference?.stop();
    await this.interlocks.settled();
    this.bench?.stop();
    await this.actuators.goSafe(reason);
    await this.sync?.stop();
    await this.outbox?.close();
    await this.watchdog?.stop();
    await Promise.allSettled([...this.samplers.values()].map((s) => s.close()));
    await this.actuators.close();
    await this.hal.close();
    if (this.started) this.deps.logger.info({ reason }, 'stopped; actuators at their safe values');
  }
}
