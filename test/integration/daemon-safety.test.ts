/**
 * The safe state, proven on the real daemon in a child process: SIGTERM, an
 * uncaught error, a stalled event loop and SIGKILL followed by a restart all leave
 * the heater line at its safe value. The simulated lines are files, so the line's
 * level is read from outside the process, as a meter on the pin would read it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonProcess, repoRoot, simLine, startDaemon, writeConfig } from '../support/daemon.js';

const config = (controller: boolean) => `
node: { id: it-node, site: test }
dataDir: DATA_DIR
# Tests start servers on free ports only: no status page on the default 8080.
web: { enabled: false }
hardware:
  backend: sim
  sim: { incubator: { heaterPin: 18, doorPin: 17 } }
devices:
  - { id: chamber, type: bme280, address: 0x76, periodMs: 100 }
actuators:
  - id: heater
    type: pwm
    pin: 18
    envelope: { min: 0, max: 1, maxStep: 0.5, safe: 0 }
controllers:${
  controller
    ? `
  - { id: hold, type: pid, input: chamber/temperature, output: heater, setpoint: 37, kp: 0.5 }`
    : ' []'
}
safety: { watchdog: { timeoutMs: 500 } }
`;

const running: DaemonProcess[] = [];
function start(file: string, script?: string): DaemonProcess {
  const daemon = startDaemon(['run', '--config', file, '--no-pretty', '--summary-every', '0'], { script });
  running.push(daemon);
  return daemon;
}
const heaterOn = (d: DaemonProcess) =>
  d.waitForEvent('actuator.changed', (e) => e.actuator === 'heater' && (e.value as number) > 0);

afterEach(() => {
  for (const d of running.splice(0)) d.kill('SIGKILL');
});

describe('daemon safe state', () => {
  it('SIGTERM: heater safe, exit 0', async () => {
    const { file, dataDir } = writeConfig(config(true));
    const daemon = start(file);
    await heaterOn(daemon);
    expect(Number(simLine(dataDir, 'pwm18'))).toBeGreaterThan(0);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(simLine(dataDir, 'pwm18')).toBe('0');
  });

  it('SIGKILL leaves the line where it was; the restart sets it safe before anything else', async () => {
    const { file, dataDir } = writeConfig(config(true));
    const first = start(file);
    await heaterOn(first);
    first.kill('SIGKILL');
    await first.exited;
    // Like a real GPIO, the line keeps its level after the process died.
    expect(Number(simLine(dataDir, 'pwm18'))).toBeGreaterThan(0);

    const { file: quietFile } = writeConfig(config(false).replace('DATA_DIR', dataDir));
    const second = start(quietFile);
    await second.waitFor((l) => l.msg === 'actuators at their safe values');
    expect(simLine(dataDir, 'pwm18')).toBe('0');
    second.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  const fixture = join(repoRoot, 'dist/test/integration/fixtures/daemon-with-faults.js');

  it('a stalled event loop: the watchdog thread forces the heater safe during the stall', async () => {
    const { file, dataDir } = writeConfig(config(true));
    const daemon = start(file, fixture);
    await heaterOn(daemon);
    daemon.kill('SIGUSR2');
    await daemon.waitForStderr(/main loop stalled/);
    // The main thread is still stalled here (3 s): only the watchdog can have written this.
    expect(simLine(dataDir, 'pwm18')).toBe('0');
    const tripped = await daemon.waitForEvent('watchdog.tripped');
    expect(tripped.event!.stalledMs).toBeGreaterThanOrEqual(500);
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('an uncaught error: heater safe, exit 70', async () => {
    const { file, dataDir } = writeConfig(config(true));
    const daemon = start(file, fixture);
    await heaterOn(daemon);
    daemon.kill('SIGHUP');
    expect(await daemon.exited).toEqual({ code: 70, signal: null });
    expect(simLine(dataDir, 'pwm18')).toBe('0');
    expect(daemon.lines.some((l) => l.msg === 'uncaught error: forcing actuators safe')).toBe(true);
  });
});
