/**
 * I2C on a real kernel: Debian's i2c-stub behind /dev/i2c-N, driven by the real
 * i2c-bus backend (src/hal/real/i2c.ts). Each register-based chip is loaded into the
 * stub from its simulator's register image, its driver reads it through the real
 * backend, and the readings must equal those of the same driver on the simulated
 * bus. `benchloop scan`, the real CLI in a child process, must find and identify
 * every chip.
 */
import { deepStrictEqual, equal } from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { I2cBus } from '../../../src/device-kit/index.js';
import { openI2cBus } from '../../../src/hal/real/i2c.js';
import {
  describeReadings,
  imageDifferences,
  loadImage,
  powerOnImage,
  readThrough,
  STUB_CHIPS,
  simulatedRead,
} from './chips.js';
import type { Checks } from './harness.js';
import { i2cAdapter, insmod, STUB_ADAPTER } from './kernel.js';

const exec = promisify(execFile);
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** The guest's writable scratch (init.sh: a tmpfs at /dev/shm; the host's root is read-only). */
export const SCRATCH = process.env.BL_TOOLS ?? '/dev/shm/kernel-tier';

export function addI2cChecks(checks: Checks, cliPath: string): { loaded: string } {
  let busNumber = -1;
  let bus: I2cBus | undefined;
  const opened = () => {
    if (!bus) throw new Error('the stub bus is not open');
    return bus;
  };

  const loaded = checks.add(
    "i2c: Debian's i2c-stub answers at every chip's address on /dev/i2c-N",
    async (c) => {
      await insmod('i2c-stub.ko', [`chip_addr=${STUB_CHIPS.map((chip) => hex(chip.address)).join(',')}`]);
      busNumber = i2cAdapter(STUB_ADAPTER);
      bus = await openI2cBus(busNumber);
      const found = await bus.scan();
      deepStrictEqual(
        found,
        STUB_CHIPS.map((chip) => chip.address).sort((a, b) => a - b),
      );
      c.note(`/dev/i2c-${busNumber}: ${found.map(hex).join(' ')}`);
    },
  );

  checks.add(
    'i2c-stub: a byte read returns the low byte of the register word; a byte write keeps the high byte',
    async () => {
      // Register 0x00 of the BME280 is outside its image: scratch space.
      const b = opened();
      await b.writeWord(0x76, 0x00, 0xabcd);
      equal(await b.readByte(0x76, 0x00), 0xcd);
      await b.writeByte(0x76, 0x00, 0x12);
      equal(await b.readWord(0x76, 0x00), 0xab12);
      const block = Buffer.alloc(2);
      await b.writeWord(0x76, 0x01, 0x3456);
      await b.readI2cBlock(0x76, 0x00, 2, block);
      deepStrictEqual([...block], [0x12, 0x56]);
    },
    { needs: [loaded] },
  );

  const powerOn = checks.add(
    "i2c: every chip's power-on register image loads through i2c-bus and reads back",
    async (c) => {
      const b = opened();
      const problems: string[] = [];
      let transfers = 0;
      for (const chip of STUB_CHIPS) {
        const image = powerOnImage(chip);
        transfers += await loadImage(b, chip.address, image);
        for (const d of await imageDifferences(b, chip.address, image))
          problems.push(`${chip.type} ${hex(chip.address)} ${d}`);
      }
      deepStrictEqual(problems, []);
      c.note(`${transfers} register writes`);
    },
    { needs: [loaded] },
  );

  checks.add(
    'i2c: `benchloop scan` finds and identifies every chip on the stub bus',
    async (c) => {
      mkdirSync(SCRATCH, { recursive: true });
      const config = join(SCRATCH, 'scan.yaml');
      writeFileSync(
        config,
        JSON.stringify({
          node: { id: 'scan', site: 'kernel-tier' },
          dataDir: join(SCRATCH, 'scan-data'),
          hardware: { backend: 'real' },
        }),
      );
      const { stdout } = await exec(process.execPath, [
        cliPath,
        'scan',
        '--config',
        config,
        '--bus',
        String(busNumber),
      ]);
      const lines = stdout.split('\n');
      equal(lines[0], `/dev/i2c-${busNumber}: ${STUB_CHIPS.length} address(es) answer`);
      const missing = STUB_CHIPS.filter((chip) => {
        const line = lines.find((l) => l.trimStart().startsWith(`${hex(chip.address)} `));
        return !line?.trim().split(/\s+/).includes(chip.type);
      });
      deepStrictEqual(
        missing.map((chip) => `${chip.type} at ${hex(chip.address)}`),
        [],
        `scan printed:\n${stdout}`,
      );
      c.note(
        lines
          .filter((l) => /^\s+0x/.test(l))
          .map((l) => l.trim().replace(/\s+/, ' '))
          .join(', '),
      );
    },
    { needs: [powerOn], timeoutMs: 120_000 },
  );

  for (const chip of STUB_CHIPS) {
    if (chip.noDriverOnStub) continue;
    checks.add(
      `i2c: ${chip.type} at ${hex(chip.address)} reads through i2c-bus on i2c-stub exactly as on the simulated bus`,
      async (c) => {
        const b = opened();
        const simulated = await simulatedRead(chip);
        await loadImage(b, chip.address, simulated.image);
        const real = await readThrough(b, chip);
        deepStrictEqual(real, simulated.readings);
        c.note(describeReadings(real));
      },
      { needs: [loaded] },
    );
  }
  return { loaded };
}

/** The driver a tier run cannot prove on i2c-stub, and why: printed, so a reader of the log sees the gap. */
export function i2cGaps(): string[] {
  return STUB_CHIPS.filter((chip) => chip.noDriverOnStub).map(
    (chip) => `${chip.type}: identified by scan only; ${chip.noDriverOnStub}`,
  );
}
