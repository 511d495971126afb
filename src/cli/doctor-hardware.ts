/**
 * `benchloop doctor`'s hardware checks, for what the configuration uses: the I2C
 * device files, the GPIO chip and its sysfs export file, sysfs PWM, pigpio's
 * preconditions, the 1-Wire bus, and then each configured sensor read once (as
 * `benchloop read` does: no actuator is touched). Paths under `hardware.sysfsRoot`.
 */
import { constants, existsSync } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { NodeConfig } from '../config/schema.js';
import type { DeviceDefinition } from '../device-kit/index.js';
import { findGpioChip, type GpioChipInfo, listGpioChips, sysfsGpioNumber } from '../hal/real/gpio-chip.js';
import { i2cDevicePath, i2cEnableHint } from '../hal/real/i2c.js';
import { W1_ENABLE_HINT, w1DevicesDir } from '../hal/real/one-wire.js';
import { isRp1Board } from '../hal/real/pigpio-gpio.js';
import { createLogger } from '../log.js';
import { BenchloopNode } from '../main.js';
import { type CheckResult, fail, ok, skip } from './doctor-report.js';

const GROUP_FIX = (group: string) =>
  `add the service user to the ${group} group (sudo usermod -aG ${group} benchloop) and restart; deploy/udev/99-benchloop.rules gives the group access`;

function transportOf(definitions: readonly DeviceDefinition[], type: string): string | undefined {
  return definitions.find((d) => d.type === type)?.transport;
}

export async function hardwareChecks(
  config: NodeConfig,
  definitions: readonly DeviceDefinition[],
): Promise<CheckResult[]> {
  if (config.hardware.backend === 'sim')
    return [skip('hardware', 'simulated hardware: no bus or pin to check')];
  const results: CheckResult[] = [];
  const sysfsRoot = config.hardware.sysfsRoot;
  const devices = config.devices.map((d) => ({ ...d, transport: transportOf(definitions, d.type) }));

  const buses = [...new Set(devices.filter((d) => d.transport === 'i2c').map((d) => d.bus ?? 1))];
  for (const bus of buses) results.push(await deviceFileCheck(`i2c.bus${bus}`, i2cDevicePath(bus), bus));

  const usesPins = devices.some((d) => d.transport === 'gpio') || config.actuators.length > 0;
  const pigpio = config.hardware.gpio === 'pigpio' || config.hardware.pwm === 'pigpio';
  if (usesPins && config.hardware.gpio === 'onoff') results.push(...(await gpioChecks(config)));
  if (config.actuators.some((a) => a.type === 'pwm') && config.hardware.pwm === 'sysfs')
    results.push(await pwmCheck(sysfsRoot));
  if (pigpio) results.push(...(await pigpioChecks(sysfsRoot)));
  if (devices.some((d) => d.transport === '1-wire')) {
    const dir = w1DevicesDir(sysfsRoot);
    results.push(
      existsSync(dir)
        ? ok('1-wire', `${dir} present`)
        : fail('1-wire', `${dir} does not exist`, W1_ENABLE_HINT),
    );
  }
  return results;
}

async function deviceFileCheck(check: string, path: string, bus: number): Promise<CheckResult> {
  try {
    await access(path, constants.R_OK | constants.W_OK);
    return ok(check, `${path} present and usable`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(check, `${path} does not exist`, i2cEnableHint(bus));
    return fail(check, `${path}: permission denied`, GROUP_FIX('i2c'));
  }
}

async function gpioChecks(config: NodeConfig): Promise<CheckResult[]> {
  const { sysfsRoot, gpioChipLabel } = config.hardware;
  let chip: GpioChipInfo;
  try {
    chip = await findGpioChip({ sysfsRoot, label: gpioChipLabel });
  } catch (error) {
    const [what, fix] = splitSentence((error as Error).message);
    return [
      fail('gpio.chip', what, fix ?? 'set hardware.gpioChipLabel to the label of the header’s GPIO chip'),
    ];
  }
  const results = [ok('gpio.chip', `${chip.name} "${chip.label}", base ${chip.base}, ${chip.ngpio} lines`)];
  const exportFile = join(sysfsRoot, 'class', 'gpio', 'export');
  try {
    await access(exportFile, constants.W_OK);
    results.push(ok('gpio.access', `${exportFile} writable`));
  } catch {
    results.push(fail('gpio.access', `${exportFile} is not writable by this user`, GROUP_FIX('gpio')));
  }
  return results;
}

async function pwmCheck(sysfsRoot: string): Promise<CheckResult> {
  const dir = join(sysfsRoot, 'class', 'pwm');
  const chips = await readdir(dir).then(
    (names) => names.filter((n) => n.startsWith('pwmchip')),
    () => [],
  );
  return chips.length > 0
    ? ok('pwm', `${chips.join(', ')} in ${dir}`)
    : fail(
        'pwm',
        `no PWM chip in ${dir}`,
        'enable hardware PWM with dtoverlay=pwm (GPIO 18) or dtoverlay=pwm-2chan in /boot/firmware/config.txt, then reboot',
      );
}

async function pigpioChecks(sysfsRoot: string): Promise<CheckResult[]> {
  const model = (await readFile('/proc/device-tree/model', 'utf8').catch(() => '')).replace(/\0/g, '').trim();
  const labels = await listGpioChips(sysfsRoot).then(
    (chips) => chips.map((c) => c.label),
    () => [] as string[],
  );
  const useSysfs = 'use hardware.gpio: onoff and hardware.pwm: sysfs instead';
  if (!model.includes('Raspberry Pi') && !isRp1Board(model, labels))
    return [
      fail('pigpio', `pigpio runs only on a Raspberry Pi 1–4; this is ${model || 'not one'}`, useSysfs),
    ];
  if (isRp1Board(model, labels))
    return [fail('pigpio', `pigpio does not support ${model} (RP1 GPIO)`, useSysfs)];
  const results = [ok('pigpio.board', model)];
  results.push(
    process.getuid?.() === 0
      ? ok('pigpio.root', 'running as root, as pigpio needs (/dev/mem)')
      : fail(
          'pigpio.root',
          'pigpio needs root (it maps the GPIO registers through /dev/mem); this user is not root',
          'run doctor with sudo, and the service as root with the drop-in in docs/deploy.md ("pigpio"); or use onoff/sysfs',
        ),
  );
  const PIGPIO_PACKAGE: string = 'pigpio';
  try {
    createRequire(import.meta.url).resolve(PIGPIO_PACKAGE);
    results.push(ok('pigpio.module', 'the pigpio module is installed'));
  } catch {
    results.push(
      fail(
        'pigpio.module',
        'the pigpio module is not installed',
        'sudo apt install pigpio (its C library), then reinstall benchloop (it builds the optional pigpio module)',
      ),
    );
  }
  if (existsSync('/var/run/pigpio.pid'))
    results.push(
      fail(
        'pigpio.lock',
        '/var/run/pigpio.pid exists: pigpiod or another pigpio program holds the GPIO',
        'sudo systemctl disable --now pigpiod (benchloop runs pigpio itself); stop the benchloop service to check devices',
      ),
    );
  return results;
}

/** Reads every sensor once. A GPIO line already exported is in use (by the running service): not touched. */
export async function deviceChecks(
  config: NodeConfig,
  definitions: readonly DeviceDefinition[],
): Promise<CheckResult[]> {
  if (config.devices.length === 0) return [skip('devices', 'no sensor configured')];
  const node = new BenchloopNode(config, {
    definitions,
    logger: createLogger({ level: 'silent', pretty: false, destination: 2 }),
  });
  const results: CheckResult[] = [];
  let chip: GpioChipInfo | undefined;
  if (config.hardware.backend === 'real' && config.hardware.gpio === 'onoff')
    chip = await findGpioChip({
      sysfsRoot: config.hardware.sysfsRoot,
      label: config.hardware.gpioChipLabel,
    }).catch(() => undefined);
  try {
    for (const entry of config.devices) {
      const check = `device.${entry.id}`;
      const transport = transportOf(definitions, entry.type);
      if (config.hardware.backend === 'real' && transport === 'gpio') {
        if (!chip) {
          results.push(skip(check, 'no GPIO chip (see gpio.chip)'));
          continue;
        }
        const line = join(
          config.hardware.sysfsRoot,
          'class',
          'gpio',
          `gpio${sysfsGpioNumber(chip, entry.pin!)}`,
        );
        if (existsSync(line)) {
          results.push(skip(check, `GPIO ${entry.pin} is in use (by the running service?): not touched`));
          continue;
        }
      }
      try {
        await node.createSensor(entry);
        node.feedBenchOnce();
        const samples = await node.readNow(entry.id);
        const bad = samples.find((s) => s.v === null);
        if (bad) results.push(fail(check, `${entry.type}: ${bad.e}`, deviceFix(entry, transport)));
        else
          results.push(
            ok(
              check,
              `${entry.type} answers: ${samples.map((s) => `${s.c}=${Number(s.v!.toFixed(3))}`).join(' ')}`,
            ),
          );
      } catch (error) {
        results.push(fail(check, `${entry.type}: ${(error as Error).message}`, deviceFix(entry, transport)));
      }
    }
  } finally {
    await node.stop('doctor');
  }
  return results;
}

function deviceFix(entry: NodeConfig['devices'][number], transport: string | undefined): string {
  if (transport === 'i2c')
    return `check its wiring and power, and that it answers at its address: benchloop scan --config FILE --bus ${entry.bus ?? 1}`;
  if (transport === '1-wire')
    return `check the ROM id against ls /sys/bus/w1/devices (each sensor has its own), the wiring and the 4.7 kΩ pull-up`;
  return `check the wiring of GPIO ${entry.pin}`;
}

/** "ENODEV: no GPIO chip …; chips present: …. Set the GPIO chip label …" → what, and what to do. */
function splitSentence(text: string): [string, string | undefined] {
  const at = text.lastIndexOf('. ');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 2)];
}
