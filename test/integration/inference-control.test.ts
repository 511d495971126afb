/**
 * The example models in the closed loop, on the real daemon (child processes) and
 * the simulated incubator, watched over a real Mosquitto:
 * - heater-policy holds the chamber at 37 °C within ±0.3 °C once settled, and the
 *   door-open interlock overrides it while the door is open;
 * - door-anomaly raises `door-open-suspected` within 8 temperature samples (1 Hz)
 *   after the door opens, with no alert before.
 * The control node's chamber has a sixth of the demo's heat capacity (50 J/K), so it
 * settles in about 40 s instead of 4 minutes; the steady state, and so the setpoint
 * the policy holds, does not depend on it. The anomaly node has the demo's physics,
 * which its classifier was fitted on.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, repoRoot, simLine, startDaemon, writeConfig } from '../support/daemon.js';
import { Mosquitto, type MosquittoSub, type SubMessage } from '../support/mosquitto.js';
import { json, subscribe } from '../support/sync-node.js';

const modelFile = (name: string) => join(repoRoot, 'deploy/models', name);

function config(options: {
  id: string;
  url: string;
  heatCapacity: number;
  door: string;
  periodMs: number;
  extraModels?: string;
}) {
  return `
node: { id: ${options.id}, site: test }
dataDir: DATA_DIR
# Tests start servers on free ports only: no status page on the default 8080.
web: { enabled: false }
hardware:
  backend: sim
  sim:
    incubator: { heatCapacityJPerK: ${options.heatCapacity}, doorCycle: ${options.door} }
devices:
  - id: chamber
    type: bme280
    periodMs: ${options.periodMs}
    channels: { temperature: { filters: [{ median: { window: 3 } }] } }
  - { id: door, type: gpio-input, pin: 17, periodMs: 1000, debounceMs: 20 }
actuators:
  - { id: heater, type: pwm, pin: 18, envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 } }
interlocks:
  - { id: door-open, when: { channel: door/level, equals: 1 }, force: { heater: 0 } }
mqtt: { url: ${options.url}, keepaliveS: 5 }
models:
  list:
    - name: heater-policy
      file: ${modelFile('heater-policy.onnx')}
      inputs:
        - name: temperature
          shape: [1, 3]
          features: [{ channel: chamber/temperature, window: 3, valid: [0, 60], scale: { subtract: 37 } }]
      outputs:
        - { name: duty, valid: [0, 1], drive: { actuator: heater } }
${options.extraModels ?? ''}`;
}

const doorAnomaly = `
    - name: door-anomaly
      file: ${modelFile('door-anomaly.onnx')}
      inputs:
        - name: window
          shape: [1, 12]
          features:
            - { channel: chamber/temperature, window: 6, valid: [0, 60], scale: { subtract: 30, divide: 10 } }
            - { actuator: heater, window: 6, valid: [0, 1] }
      outputs:
        - { name: probabilities, index: 1, drive: { event: door-open-suspected, above: 0.8, hysteresis: 0.5 } }
`;

type Sample = { d: string; c: string; t: number; v: number | null };

function temperatures(sub: MosquittoSub, node: string): Sample[] {
  return sub
    .on(`benchloop/v1/test/${node}/telemetry`)
    .flatMap((m) => json<{ samples: Sample[] }>(m).samples)
    .filter((s) => s.d === 'chamber' && s.c === 'temperature');
}

/** Resolves with the first temperature sample that passes `test` (received already or to come). */
function temperatureWhere(sub: MosquittoSub, node: string, test: (s: Sample) => boolean): Promise<Sample> {
  const matches = (m: SubMessage) =>
    m.topic === `benchloop/v1/test/${node}/telemetry` &&
    json<{ samples: Sample[] }>(m).samples.some((s) => s.d === 'chamber' && s.c === 'temperature' && test(s));
  return sub
    .waitFor(matches, `a temperature sample on ${node}`)
    .then(() => temperatures(sub, node).find(test)!);
}

let broker: Mosquitto;
let sub: MosquittoSub;
let control: { daemon: DaemonProcess; dataDir: string };
let anomaly: { daemon: DaemonProcess; dataDir: string };

function start(text: string) {
  const { file, dataDir } = writeConfig(text);
  return { daemon: startDaemon(['run', '--config', file, '--no-pretty', '--summary-every', '0']), dataDir };
}

beforeAll(async () => {
  broker = await Mosquitto.start();
  sub = await subscribe(broker, ['benchloop/v1/test/+/telemetry']);
  control = start(
    config({
      id: 'control',
      url: broker.url,
      heatCapacity: 50,
      door: '{ everyS: 80, openS: 8 }',
      periodMs: 250,
    }),
  );
  anomaly = start(
    config({
      id: 'anomaly',
      url: broker.url,
      heatCapacity: 300,
      door: '{ everyS: 60, openS: 20 }',
      periodMs: 1000,
      extraModels: doorAnomaly,
    }),
  );
});

afterAll(async () => {
  control?.daemon.kill('SIGKILL');
  anomaly?.daemon.kill('SIGKILL');
  await sub?.stop();
  await broker?.cleanup();
});

describe('heater-policy in the closed loop', () => {
  it('holds 37 °C within ±0.3 °C from 10 s after first reaching 36.5 °C, for 20 s', {
    timeout: 120_000,
  }, async () => {
    const reached = await temperatureWhere(sub, 'control', (s) => s.v !== null && s.v >= 36.5);
    const from = reached.t + 10_000;
    const to = from + 20_000;
    await temperatureWhere(sub, 'control', (s) => s.t >= to);
    const held = temperatures(sub, 'control').filter((s) => s.t >= from && s.t < to);
    expect(held.length).toBeGreaterThanOrEqual(70);
    const values = held.map((s) => s.v!);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(36.7);
    expect(Math.max(...values)).toBeLessThanOrEqual(37.3);
    process.stdout.write(
      `heater-policy: ${held.length} samples in [${Math.min(...values).toFixed(3)}, ${Math.max(...values).toFixed(3)}] °C\n`,
    );
    expect(
      control.daemon.lines.some((l) => l.event?.type === 'interlock.tripped' && (l.event.t as number) < to),
    ).toBe(false);
  });

  it('the door interlock overrides the model while the door is open', { timeout: 120_000 }, async () => {
    const tripped = await control.daemon.waitForEvent(
      'interlock.tripped',
      (e) => e.interlock === 'door-open',
    );
    expect(simLine(control.dataDir, 'pwm18')).toBe('0');
    const cleared = await control.daemon.waitForEvent(
      'interlock.cleared',
      (e) => e.interlock === 'door-open',
    );
    const during = control.daemon.lines.slice(
      control.daemon.lines.indexOf(tripped),
      control.daemon.lines.indexOf(cleared),
    );
    // The chamber cooled fast with the door open: the model wanted heat all along, and wrote nothing.
    expect(during.filter((l) => l.event?.type === 'actuator.changed' && l.event.source === 'model')).toEqual(
      [],
    );
    expect(during.filter((l) => l.event?.type === 'model.refused')).toEqual([]);
    const resumed = await control.daemon.waitForEvent(
      'actuator.changed',
      (e) => e.source === 'model' && (e.t as number) >= (cleared.event!.t as number),
    );
    expect(resumed.event).toMatchObject({
      actuator: 'heater',
      by: 'heater-policy@1',
      previous: 0,
      value: 0.5,
    });
  });
});

describe('door-anomaly on the demo bench', () => {
  it('raises door-open-suspected within 8 samples of the door opening, and not before', {
    timeout: 120_000,
  }, async () => {
    const opened = await anomaly.daemon.waitForEvent('interlock.tripped', (e) => e.interlock === 'door-open');
    const alert = await anomaly.daemon.waitForEvent('model.alert', (e) => e.alert === 'door-open-suspected');
    expect(alert.event).toMatchObject({ model: 'door-anomaly', state: 'raised', above: 0.8 });
    const openedAt = opened.event!.t as number;
    const alertAt = alert.event!.t as number;
    expect(alertAt).toBeGreaterThan(openedAt);
    await temperatureWhere(sub, 'anomaly', (s) => s.t >= alertAt);
    const samples = temperatures(sub, 'anomaly').filter((s) => s.t > openedAt && s.t <= alertAt);
    expect(samples.length).toBeGreaterThanOrEqual(1);
    expect(samples.length).toBeLessThanOrEqual(8);
    process.stdout.write(
      `door-anomaly: raised ${samples.length} samples (${alertAt - openedAt} ms) after the door opened\n`,
    );
  });
});
