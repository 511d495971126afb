/**
 * The daemon end to end in the guest: `benchloop run` (the built CLI, a child
 * process) on a config with `hardware.backend: real`, its I2C chips in i2c-stub, its
 * relay and door switch on gpio-mockup, publishing to the host's Mosquitto through
 * QEMU's user network. The checks are the sync tests' protocol checks (birth,
 * telemetry by seq, commands and replies, death), plus what only real backends
 * show: the relay's level on the wire at start, on command, under an interlock and
 * at shutdown (debugfs and gpiolib's trace), edges and pulses from a switch pulled
 * through debugfs, and a chip taken off the bus mid-run.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelReading } from '../../../src/device-kit/index.js';
import { openI2cBus } from '../../../src/hal/real/i2c.js';
import { DaemonProcess, type LogLine } from '../../support/daemon.js';
import { loadImage, STUB_CHIPS, type StubChip, simulatedRead } from './chips.js';
import type { Checks } from './harness.js';
import { SCRATCH } from './i2c-checks.js';
import {
  gpioTrace,
  i2cAdapter,
  insmod,
  lineLevel,
  MOCKUP_LABEL,
  type MockupChip,
  pull,
  READDRESS_ADAPTER,
  readdress,
  STUB_ADAPTER,
} from './kernel.js';
import { json, Orchestrator } from './orchestrator.js';

const SITE = 'kernel-tier';
const NODE = 'qemu-node';
const ROOT = `benchloop/v1/${SITE}/${NODE}`;
/** Mockup lines (BCM pins of the config) the daemon uses. */
const FAN_PIN = 5;
const DOOR_PIN = 6;
/** The chip that is taken off the bus: a second BME280 on the readdressable stub. */
const SPARE: StubChip = {
  type: 'bme280',
  address: 0x77,
  options: {},
  inputs: { temperatureC: 19.25, pressurePa: 101_100, humidityPct: 55 },
};
const SPARE_ELSEWHERE = 0x70;

type Sample = { d: string; c: string; t: number; v: number | null; q?: string; e?: string };
type Batch = { seq: number; bootId: string; samples: Sample[] };
type Status = { online: boolean; session: number; bootId?: string };

export function addDaemonChecks(
  checks: Checks,
  options: { cliPath: string; brokerUrl: string; chip: () => MockupChip; needs: string[] },
): { cleanup(): Promise<void> } {
  const drivenChips = STUB_CHIPS.filter((chip) => !chip.noDriverOnStub);
  const expected = new Map<string, ChannelReading[]>();
  let daemon: DaemonProcess | undefined;
  let lab: Orchestrator | undefined;
  let fanGpio = -1;
  let stubBus = -1;
  let spareBus = -1;

  const running = () => {
    if (!daemon || !lab) throw new Error('the daemon is not running');
    return { daemon, lab };
  };
  const event = (type: string, test: (e: Record<string, unknown>) => boolean = () => true) =>
    running().daemon.waitForEvent(type, test);
  /** The `n`th event of this type since start. */
  const nthEvent = (type: string, n: number) => {
    let seen = 0;
    return running().daemon.waitFor((l: LogLine) => l.event?.type === type && ++seen === n, `${type} #${n}`);
  };
  const batches = () =>
    running()
      .lab.on('telemetry')
      .map((m) => json<Batch>(m));
  const samples = () => batches().flatMap((b) => b.samples);
  const untilSample = (test: (s: Sample) => boolean) =>
    running().lab.waitFor((m) => m.topic === `${ROOT}/telemetry` && json<Batch>(m).samples.some(test));
  const fan = () => lineLevel(options.chip(), FAN_PIN);

  const started = checks.add(
    'daemon: starts on the real backends and drives the relay, left on by a killed run, to its safe level first',
    async (c) => {
      const chip = options.chip();
      // The chips, as in the I2C checks: the drivers' readings on the simulated bus are the expectation.
      stubBus = i2cAdapter(STUB_ADAPTER);
      const stub = await openI2cBus(stubBus);
      for (const each of drivenChips) {
        const simulated = await simulatedRead(each);
        await loadImage(stub, each.address, simulated.image);
        expected.set(each.type, simulated.readings);
      }
      await stub.close();
      await insmod('i2c-stub-readdress.ko', [`chip_addr=0x${SPARE.address.toString(16)}`]);
      spareBus = i2cAdapter(READDRESS_ADAPTER);
      const spare = await openI2cBus(spareBus);
      const simulatedSpare = await simulatedRead(SPARE);
      await loadImage(spare, SPARE.address, simulatedSpare.image);
      expected.set('spare', simulatedSpare.readings);
      await spare.close();

      // A previous run was SIGKILLed with the (active-low) fan relay on: its line is still exported, low.
      fanGpio = chip.base + FAN_PIN;
      writeFileSync('/sys/class/gpio/export', String(fanGpio));
      writeFileSync(`/sys/class/gpio/gpio${fanGpio}/direction`, 'low');
      equal(fan(), 0, 'left on');
      gpioTrace.start();

      lab = await Orchestrator.connect(options.brokerUrl, ROOT);
      const dataDir = join(SCRATCH, 'daemon');
      mkdirSync(dataDir, { recursive: true });
      const config = join(SCRATCH, 'daemon.yaml');
      writeFileSync(config, JSON.stringify(daemonConfig(dataDir, stubBus, spareBus, drivenChips), null, 2));
      const child = spawn(
        process.execPath,
        [
          options.cliPath,
          'run',
          '--config',
          config,
          '--no-pretty',
          '--summary-every',
          '0',
          '--mqtt-url',
          options.brokerUrl,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      daemon = new DaemonProcess(child);
      await daemon.waitFor((l) => l.msg === 'actuators at their safe values', 'actuators safe');
      equal(fan(), 1, 'the active-low relay released (line high)');
      const levels = gpioTrace.levelsSet(fanGpio);
      equal(levels[0], 1, `the first level the daemon set on gpio ${fanGpio} (trace: ${levels.join(',')})`);
      await daemon.waitFor((l) => /^benchloop running node/.test(l.msg), 'running');
      c.note(`relay on sysfs gpio ${fanGpio}; buses: stub i2c-${stubBus}, readdressable i2c-${spareBus}`);
    },
    { needs: options.needs, timeoutMs: 120_000 },
  );
  const needs = { needs: [started] };

  checks.add(
    "daemon: its birth reaches the host's Mosquitto through QEMU's user network, retained",
    async () => {
      const { lab } = running();
      const birth = json<Status>(
        await lab.waitFor((m) => m.topic === `${ROOT}/status` && json<Status>(m).online),
      );
      equal(birth.session, 1);
      const late = await Orchestrator.connect(options.brokerUrl, ROOT, ['status']);
      try {
        const retained = await late.waitFor(() => true);
        equal(retained.retain, true);
        deepStrictEqual(json<Status>(retained), birth);
      } finally {
        await late.close();
      }
    },
    needs,
  );

  checks.add(
    "daemon: telemetry carries every stub chip's channels, equal to the driver's readings on the simulated bus",
    async (c) => {
      const wanted = [...expected].flatMap(([device, readings]) =>
        readings.map((r) => `${device}/${r.channel}`),
      );
      await running().lab.waitFor(() => {
        const seen = new Set(samples().map((s) => `${s.d}/${s.c}`));
        return wanted.every((w) => seen.has(w));
      });
      const problems: string[] = [];
      for (const [device, readings] of expected) {
        for (const reading of readings) {
          const first = samples().find((s) => s.d === device && s.c === reading.channel)!;
          const quality = reading.quality ?? 'good';
          if (first.v !== reading.value || (first.q ?? 'good') !== quality) {
            problems.push(
              `${device}/${reading.channel}: ${JSON.stringify(first)}, expected ${reading.value} (${quality})`,
            );
          }
        }
      }
      deepStrictEqual(problems, []);
      c.note(`${wanted.length} channels`);
    },
    needs,
  );

  checks.add(
    'daemon: ping, describe and read answer on R/reply; read returns the stub chip now',
    async () => {
      const { lab } = running();
      await lab.command({ id: 'k-ping', name: 'ping' });
      const ping = await lab.reply('k-ping');
      equal(ping.ok, true);
      await lab.command({ id: 'k-describe', name: 'describe' });
      const described = (await lab.reply('k-describe')).result as { devices: Array<{ id: string }> };
      deepStrictEqual(
        described.devices.map((d) => d.id).sort(),
        [...drivenChips.map((chip) => chip.type), 'door', 'spare'].sort(),
      );
      await lab.command({ id: 'k-read', name: 'read', args: { device: 'mcp9808', channel: 'temperature' } });
      const read = (await lab.reply('k-read')).result as { samples: Sample[] };
      const temperature = expected.get('mcp9808')!.find((r) => r.channel === 'temperature')!.value;
      deepStrictEqual(
        read.samples.map((s) => [s.d, s.c, s.v]),
        [['mcp9808', 'temperature', temperature]],
      );
    },
    needs,
  );

  checks.add(
    'daemon: set fan=1 by command drives the active-low line low; the same command id again is not executed twice',
    async () => {
      const { lab, daemon } = running();
      await lab.command({ id: 'k-set-1', name: 'set', args: { actuator: 'fan', value: 1 } });
      const first = await lab.reply('k-set-1');
      deepStrictEqual(first.result, { actuator: 'fan', value: 1, previous: 0 });
      equal(fan(), 0);
      await event('actuator.changed', (e) => e.by === 'k-set-1');
      await lab.command({ id: 'k-set-1', name: 'set', args: { actuator: 'fan', value: 1 } });
      deepStrictEqual(await lab.reply('k-set-1', 2), first);
      const changes = daemon.lines.filter(
        (l) => l.event?.type === 'actuator.changed' && l.event.by === 'k-set-1',
      );
      equal(changes.length, 1);
    },
    needs,
  );

  checks.add(
    'daemon: a malformed command is rejected with bad_request and moves nothing',
    async () => {
      const { lab } = running();
      const before = fan();
      await lab.command('{"id": "k-x", nope');
      const reply = await lab.reply(null);
      equal((reply.error as { code: string }).code, 'bad_request');
      equal(fan(), before);
    },
    needs,
  );

  const door = checks.add(
    'daemon: the door pulled high through debugfs trips the interlock on the debounced edge, forcing the fan off',
    async () => {
      pull(options.chip(), DOOR_PIN, 1);
      await nthEvent('interlock.tripped', 1);
      equal(fan(), 1, 'fan forced off (active-low line high)');
      pull(options.chip(), DOOR_PIN, 0);
      await nthEvent('interlock.cleared', 1);
    },
    needs,
  );

  checks.add(
    'daemon: pulses with contact bounce are counted once each (rising edges, debounced)',
    async (c) => {
      const { lab } = running();
      const count = async (id: string) => {
        await lab.command({ id, name: 'read', args: { device: 'door', channel: 'count' } });
        return ((await lab.reply(id)).result as { samples: Sample[] }).samples[0]!.v;
      };
      const before = await count('k-count-0');
      const pulses = 4;
      for (let k = 1; k <= pulses; k++) {
        // Each change of a burst is an interrupt; each burst must count as one edge.
        for (const level of [1, 0, 1] as const) pull(options.chip(), DOOR_PIN, level);
        await nthEvent('interlock.tripped', 1 + k);
        for (const level of [0, 1, 0] as const) pull(options.chip(), DOOR_PIN, level);
        await nthEvent('interlock.cleared', 1 + k);
      }
      equal(await count('k-count-1'), (before ?? Number.NaN) + pulses);
      c.note(
        `count ${before} → ${(before ?? 0) + pulses} after ${pulses} bouncing pulses (12 interrupts each way)`,
      );
    },
    { needs: [started, door] },
  );

  checks.add(
    'daemon: a chip taken off the bus mid-run gives bad samples and device.error; back on the bus it recovers',
    async (c) => {
      readdress([SPARE_ELSEWHERE]);
      const error = await event('device.error', (e) => e.device === 'spare');
      const errorAt = error.event!.t as number;
      await untilSample((s) => s.d === 'spare' && s.v === null);
      const badSample = samples().find((s) => s.d === 'spare' && s.v === null)!;
      equal(badSample.q, 'bad');
      // The other chips on the other bus kept sampling meanwhile.
      await untilSample((s) => s.d === 'bme280' && s.t > errorAt && s.v !== null);
      readdress([SPARE.address]);
      const recovered = await event('device.recovered', (e) => e.device === 'spare');
      const recoveredAt = recovered.event!.t as number;
      await untilSample((s) => s.d === 'spare' && s.t >= recoveredAt && s.v !== null);
      const temperature = expected.get('spare')!.find((r) => r.channel === 'temperature')!.value;
      const after = samples().find((s) => s.d === 'spare' && s.c === 'temperature' && s.t >= recoveredAt)!;
      equal(after.v, temperature);
      c.note(
        `error ${String(error.event!.code)}: "${badSample.e}"; recovered after ${String(recovered.event!.failures)} failures`,
      );
    },
    needs,
  );

  checks.add(
    'daemon: SIGTERM sets the relay safe on the wire, publishes the death, exits 0 and frees the lines',
    async (c) => {
      const { lab, daemon } = running();
      await lab.command({ id: 'k-set-2', name: 'set', args: { actuator: 'fan', value: 1 } });
      equal((await lab.reply('k-set-2')).ok, true);
      equal(fan(), 0, 'fan on before the stop');
      daemon.kill('SIGTERM');
      const death = await lab.waitFor((m) => m.topic === `${ROOT}/status` && !json<Status>(m).online);
      deepStrictEqual(json<Status>(death), { online: false, session: 1 });
      equal((await daemon.exited).code, 0);
      // gpio-mockup resets a freed line to its pull, so the safe level is read from gpiolib's trace.
      const levels = gpioTrace.levelsSet(fanGpio);
      equal(
        levels.at(-1),
        1,
        `the last level set on gpio ${fanGpio} is the safe one (trace: ${levels.join(',')})`,
      );
      equal(existsSync(`/sys/class/gpio/gpio${fanGpio}`), false, 'unexported');
      equal(existsSync(`/sys/class/gpio/gpio${options.chip().base + DOOR_PIN}`), false, 'unexported');
      c.note(`levels set on the relay line over the run: ${levels.join(' ')}`);
    },
    needs,
  );

  checks.add(
    'daemon: telemetry seq is contiguous from 1 under one bootId; no watchdog trip',
    async (c) => {
      const seqs = [...new Set(batches().map((b) => b.seq))].sort((a, b) => a - b);
      equal(seqs[0], 1);
      equal(seqs.at(-1), seqs.length, `contiguous: ${seqs.length} batches`);
      equal(new Set(batches().map((b) => b.bootId)).size, 1);
      const tripped = running().daemon.lines.filter((l) => l.event?.type === 'watchdog.tripped');
      equal(tripped.length, 0);
      c.note(`${seqs.length} batches, ${samples().length} samples`);
    },
    needs,
  );

  return {
    async cleanup() {
      if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null)
        daemon.kill('SIGKILL');
      await lab?.close().catch(() => undefined);
    },
  };
}

function daemonConfig(dataDir: string, stubBus: number, spareBus: number, chips: readonly StubChip[]) {
  const i2c = (chip: StubChip, id: string, bus: number, periodMs: number) => ({
    ...chip.options,
    id,
    type: chip.type,
    bus,
    address: chip.address,
    periodMs,
  });
  return {
    node: { id: NODE, site: SITE, description: 'benchloop kernel tier (QEMU guest)' },
    dataDir,
    hardware: { backend: 'real', gpio: 'onoff', pwm: 'sysfs', gpioChipLabel: MOCKUP_LABEL },
    devices: [
      ...chips.map((chip) => i2c(chip, chip.type, stubBus, 500)),
      i2c(SPARE, 'spare', spareBus, 250),
      {
        id: 'door',
        type: 'gpio-input',
        pin: DOOR_PIN,
        periodMs: 1000,
        edge: 'both',
        countEdge: 'rising',
        // Wider than a Pi needs: a burst's writes must land within it even when the host preempts a vCPU.
        debounceMs: 50,
      },
    ],
    actuators: [
      { id: 'fan', type: 'relay', pin: FAN_PIN, activeLow: true, envelope: { min: 0, max: 1, safe: 0 } },
    ],
    interlocks: [{ id: 'door-open', when: { channel: 'door/level', equals: 1 }, force: { fan: 0 } }],
    // Software emulation runs node tens of times slower than a Pi: a GC pause must not look like a stall.
    safety: { watchdog: { enabled: true, timeoutMs: 10_000 } },
    scheduler: { retry: { initialMs: 250, maxMs: 1000 } },
    mqtt: { url: 'mqtt://10.0.2.2:1883', keepaliveS: 10, reconnect: { initialMs: 100, maxMs: 1000 } },
    commands: { remoteSet: ['fan'] },
  };
}
