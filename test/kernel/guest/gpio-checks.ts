/**
 * GPIO on a real kernel: gpio-mockup's chip, at a base the kernel picks (the
 * Raspberry Pi 5 problem: header pin N is not sysfs GPIO N), driven through the real
 * hardware layer's onoff backend. Outputs are checked on the mockup's side of the
 * wire (debugfs); inputs are driven from there, and their interrupts reach onoff
 * through sysfs `edge` and epoll as on a Pi.
 */
import { deepStrictEqual, equal, notEqual } from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import type { DigitalOutput, Level } from '../../../src/device-kit/index.js';
import { findGpioChip } from '../../../src/hal/real/gpio-chip.js';
import { createRealHal, type RealHal } from '../../../src/hal/real/real-hal.js';
import type { Checks } from './harness.js';
import { insmod, lineLevel, MOCKUP_LABEL, type MockupChip, mockupChip, pull } from './kernel.js';

/** The callbacks a watched input made, awaited by count rather than by time. */
export class EdgeRecorder {
  readonly levels: Level[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly listener = (level: Level) => {
    this.levels.push(level);
    this.waiters = this.waiters.filter((w) => {
      if (this.levels.length < w.count) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once `count` callbacks have been made in all. */
  until(count: number): Promise<void> {
    if (this.levels.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

/** Lines of the mockup chip these checks use; the daemon's checks use others. */
const OUT = 10;
const OUT_LOW = 11;
const IN = 12;
const IN_LOW = 13;
const IN_STALE = 14;

export function addGpioChecks(checks: Checks): { chip: () => MockupChip; loaded: string } {
  let chip: MockupChip | undefined;
  let hal: RealHal | undefined;
  let output: DigitalOutput | undefined;
  let lowOutput: DigitalOutput | undefined;
  const mockup = () => {
    if (!chip) throw new Error('gpio-mockup is not loaded');
    return chip;
  };
  const opened = () => {
    if (!hal) throw new Error('no hardware layer');
    return hal;
  };
  const sysfsPath = (pin: number) => `/sys/class/gpio/gpio${mockup().base + pin}`;

  const loaded = checks.add(
    'gpio: gpio-mockup takes a dynamic base; the onoff backend finds the chip by its label',
    async (c) => {
      // -1: the kernel chooses the base, as it does for a Pi 5's RP1 header chip.
      await insmod('gpio-mockup.ko', ['gpio_mockup_ranges=-1,32']);
      chip = mockupChip();
      notEqual(chip.base, 0, 'a dynamic base, not 0');
      const found = await findGpioChip({ label: MOCKUP_LABEL });
      deepStrictEqual({ base: found.base, ngpio: found.ngpio }, { base: chip.base, ngpio: chip.ngpio });
      hal = createRealHal({ gpio: 'onoff', pwm: 'sysfs', gpioChipLabel: MOCKUP_LABEL });
      c.note(`${found.name} "${found.label}": pins 0..${found.ngpio - 1} are sysfs ${found.base}..`);
    },
  );

  checks.add(
    'gpio: an output opens at its initial level on sysfs GPIO base+pin, is set and reads back',
    async (c) => {
      output = await opened().gpio.digitalOutput(OUT, { activeLow: false, initial: 1 });
      equal(existsSync(sysfsPath(OUT)), true, `${sysfsPath(OUT)} exported`);
      equal(lineLevel(mockup(), OUT), 1, 'opened high');
      await output.write(0);
      equal(lineLevel(mockup(), OUT), 0);
      equal(await output.read(), 0);
      await output.write(1);
      equal(lineLevel(mockup(), OUT), 1);
      equal(await output.read(), 1);
      c.note(`pin ${OUT} = ${sysfsPath(OUT)}`);
    },
    { needs: [loaded] },
  );

  checks.add(
    'gpio: an active-low output drives the line low for 1, and reads back 1',
    async () => {
      lowOutput = await opened().gpio.digitalOutput(OUT_LOW, { activeLow: true, initial: 0 });
      equal(lineLevel(mockup(), OUT_LOW), 1, 'logical 0 opens the line high');
      await lowOutput.write(1);
      equal(lineLevel(mockup(), OUT_LOW), 0);
      equal(await lowOutput.read(), 1);
    },
    { needs: [loaded] },
  );

  checks.add(
    "gpio: the watchdog's forced write (a plain write to the value file) drives the line, active-low included",
    async (c) => {
      if (!output || !lowOutput) throw new Error('the output checks did not open their lines');
      const write = output.forcedWrite(0);
      const low = lowOutput.forcedWrite(0);
      if (write.kind !== 'file' || low.kind !== 'file') throw new Error('forced write unsupported');
      writeFileSync(write.path, write.data);
      writeFileSync(low.path, low.data);
      equal(lineLevel(mockup(), OUT), 0);
      equal(lineLevel(mockup(), OUT_LOW), 1, 'active-low 0 is the line high');
      c.note(`${write.path} ← ${write.data}, ${low.path} ← ${low.data}`);
    },
    { needs: [loaded] },
  );

  checks.add(
    'gpio: an input sees edges pulled through debugfs; a bounce burst is one debounced edge',
    async (c) => {
      // 50 ms: the burst's writes must land within it even when the host preempts a vCPU.
      const input = await opened().gpio.digitalInput(IN, { edge: 'both', debounceMs: 50, activeLow: false });
      equal(await input.read(), 0, 'pulled down at rest');
      const edges = new EdgeRecorder();
      input.watch(edges.listener);
      pull(mockup(), IN, 1);
      await edges.until(1);
      // Contact bounce: five changes within microseconds, settling low.
      for (const level of [0, 1, 0, 1, 0] as const) pull(mockup(), IN, level);
      await edges.until(2);
      pull(mockup(), IN, 1);
      await edges.until(3);
      deepStrictEqual(edges.levels, [1, 0, 1]);
      equal(await input.read(), 1);
      c.note('levels seen: 1, 0 (after a 5-change burst), 1');
    },
    { needs: [loaded] },
  );

  checks.add(
    'gpio: an active-low input reads a low line as 1 and reports its edges inverted',
    async () => {
      const input = await opened().gpio.digitalInput(IN_LOW, {
        edge: 'both',
        debounceMs: 0,
        activeLow: true,
      });
      equal(await input.read(), 1, 'the pulled-down line is active');
      const edges = new EdgeRecorder();
      input.watch(edges.listener);
      pull(mockup(), IN_LOW, 1);
      await edges.until(1);
      pull(mockup(), IN_LOW, 0);
      await edges.until(2);
      deepStrictEqual(edges.levels, [0, 1]);
    },
    { needs: [loaded] },
  );

  checks.add(
    'gpio: an input left exported by a killed process with other settings is reconfigured, not trusted',
    async () => {
      const number = mockup().base + IN_STALE;
      writeFileSync('/sys/class/gpio/export', String(number));
      writeFileSync(`${sysfsPath(IN_STALE)}/active_low`, '1');
      writeFileSync(`${sysfsPath(IN_STALE)}/edge`, 'falling');
      const input = await opened().gpio.digitalInput(IN_STALE, {
        edge: 'both',
        debounceMs: 0,
        activeLow: false,
      });
      equal(await input.read(), 0, 'active_low reset: the pulled-down line reads 0');
      const edges = new EdgeRecorder();
      input.watch(edges.listener);
      pull(mockup(), IN_STALE, 1);
      await edges.until(1);
      pull(mockup(), IN_STALE, 0);
      await edges.until(2);
      deepStrictEqual(edges.levels, [1, 0], 'both edges, not only the stale falling one');
    },
    { needs: [loaded] },
  );

  checks.add(
    'gpio: closing the hardware layer unexports every line',
    async () => {
      await opened().close();
      const left = [OUT, OUT_LOW, IN, IN_LOW, IN_STALE].filter((pin) => existsSync(sysfsPath(pin)));
      deepStrictEqual(left.map(sysfsPath), []);
    },
    { needs: [loaded] },
  );

  return { chip: mockup, loaded };
}
