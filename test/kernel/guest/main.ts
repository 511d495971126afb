/**
 * The guest's test program: run by init.sh inside the VM, with the host's node, on
 * the host's root (read-only) and a scratch tmpfs at /dev/shm. The I2C checks come first, then the
 * GPIO ones, then the daemon end to end, which uses what the first two set up.
 * Exits non-zero when any check failed; the host counts the PASS/FAIL lines itself.
 */
import { join } from 'node:path';
import { addDaemonChecks } from './daemon-checks.js';
import { addGpioChecks } from './gpio-checks.js';
import { Checks, say } from './harness.js';
import { addI2cChecks, i2cGaps } from './i2c-checks.js';

const repoRoot = join(import.meta.dirname, '../../../..');
const cliPath = join(repoRoot, 'dist/src/cli/main.js');
const port = Number(process.env.BL_PORT);
if (!Number.isInteger(port) || port <= 0) {
  say(`SETUP-FAILED BL_PORT is "${process.env.BL_PORT}", not the host broker's port`);
  process.exit(1);
}

const checks = new Checks(process.env.BL_FILTER ?? '');
const i2c = addI2cChecks(checks, cliPath);
const gpio = addGpioChecks(checks);
const daemon = addDaemonChecks(checks, {
  cliPath,
  // QEMU's user network answers for the host at 10.0.2.2 and forwards to its loopback.
  brokerUrl: `mqtt://10.0.2.2:${port}`,
  chip: gpio.chip,
  needs: [i2c.loaded, gpio.loaded],
});

let failed = 1;
try {
  failed = (await checks.runAll()).failed;
} finally {
  await daemon.cleanup();
}
for (const gap of i2cGaps()) say(`NOT-PROVEN ${gap}`);
process.exit(failed > 0 ? 1 : 0);
