/**
 * The demo bench: drives the incubator model from the heater's simulated PWM line,
 * opens the door switch on its schedule (or when a test says so), and feeds the
 * chamber's air to every simulated climate sensor.
 */
import type { IncubatorConfig } from '../config/schema.js';
import type { Level, SimInputs } from '../device-kit/index.js';
import {
  chamberHumidityPct,
  createNormalRandom,
  doorOpenAt,
  type IncubatorState,
  incubatorStep,
} from './incubator-physics.js';

export interface BenchLines {
  /** Duty cycle the heater's line shows now (0 when nothing drives it). */
  dutyCycle(pin: number): number;
  drive(pin: number, level: Level): void;
}

export interface BenchSensor {
  setInputs(inputs: SimInputs): void;
}

const stepMs = 100;

export class IncubatorBench {
  private state: IncubatorState;
  private timer: NodeJS.Timeout | undefined;
  private readonly normal: () => number;
  private startMs = 0;
  private lastMs = 0;
  private doorOverride: boolean | undefined;

  constructor(
    private readonly config: IncubatorConfig,
    private readonly lines: BenchLines,
    private readonly sensors: readonly BenchSensor[],
    private readonly monoMs: () => number,
    seed: number,
  ) {
    this.state = { chamberC: config.ambientC, doorOpen: false };
    this.normal = createNormalRandom(seed);
  }

  start(): void {
    this.startMs = this.monoMs();
    this.lastMs = this.startMs;
    this.feedSensors();
    this.lines.drive(this.config.doorPin, 0);
    this.timer = setInterval(() => this.step(), stepMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Tests and the demo open or shut the door by hand; `undefined` returns it to its schedule. */
  setDoor(open: boolean | undefined): void {
    this.doorOverride = open;
    this.step();
  }

  snapshot(): IncubatorState {
    return { ...this.state };
  }

  step(): void {
    const now = this.monoMs();
    const dtS = (now - this.lastMs) / 1000;
    this.lastMs = now;
    const duty = this.lines.dutyCycle(this.config.heaterPin);
    this.state = incubatorStep(this.config, this.state, duty, dtS);
    const doorOpen = this.doorOverride ?? doorOpenAt(this.config, (now - this.startMs) / 1000);
    if (doorOpen !== this.state.doorOpen) {
      this.state = { ...this.state, doorOpen };
      this.lines.drive(this.config.doorPin, doorOpen ? 1 : 0);
    }
    this.feedSensors();
  }

  private feedSensors(): void {
    const temperatureC = this.state.chamberC + this.config.noiseC * this.normal();
    const inputs = {
      temperatureC,
      humidityPct: chamberHumidityPct(this.config, this.state.chamberC),
      pressurePa: this.config.pressurePa,
    };
    for (const sensor of this.sensors) sensor.setInputs(inputs);
  }
}
