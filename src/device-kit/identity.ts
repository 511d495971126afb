/**
 * Telling a chip from the others that answer at its address by what its registers
 * hold: an id register, the reset values of a chip without one, or what was just
 * written to it. One description serves `identify` (for scan: yes or no, reading
 * only) and `init` (a `wrong-chip-id` fault naming bus, address, expected and found).
 */
import { hex } from './bits.js';
import { type I2cBus, i2cLocation } from './bus.js';
import { DeviceFault } from './definition.js';
import { readRegister16 } from './registers.js';

export interface RegisterExpectation {
  /** The register or field as the datasheet names it, for the fault message. */
  name: string;
  register: number;
  /** 8: an SMBus byte read; 16: a 16-bit register, most significant byte first. */
  width: 8 | 16;
  /** The part of the register compared (an id beside revision bits); the whole register when absent. */
  field?: (value: number) => number;
  expected: number;
  /** Hex digits the values are shown with; width / 4 when absent. */
  digits?: number;
  /** Chips known to hold other values there, named in the message when one is found. */
  knownOthers?: Readonly<Record<number, string>>;
}

async function readExpected(bus: I2cBus, address: number, e: RegisterExpectation): Promise<number> {
  const value =
    e.width === 8 ? await bus.readByte(address, e.register) : await readRegister16(bus, address, e.register);
  return e.field ? e.field(value) : value;
}

/** For `identify`: a mismatch, and any bus error (nothing there, or a chip that NACKs the register), is false. */
export async function matchesIdentity(
  bus: I2cBus,
  address: number,
  registers: readonly RegisterExpectation[],
): Promise<boolean> {
  try {
    for (const e of registers) {
      if ((await readExpected(bus, address, e)) !== e.expected) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * For `init`: bus errors propagate as they are; a mismatch is a DeviceFault('wrong-chip-id').
 * `chip` has its article, as the message reads it: `an ADS1115`.
 */
export async function requireIdentity(
  bus: I2cBus,
  address: number,
  chip: string,
  registers: readonly RegisterExpectation[],
): Promise<void> {
  const found: number[] = [];
  for (const e of registers) found.push(await readExpected(bus, address, e));
  if (registers.every((e, i) => found[i] === e.expected)) return;
  const show = (e: RegisterExpectation, value: number) => hex(value, e.digits ?? e.width / 4);
  const expected = registers.map((e) => `${e.name} ${show(e, e.expected)}`).join(' and ');
  const seen = registers
    .map((e, i) => {
      const other = e.knownOthers?.[found[i]!];
      return show(e, found[i]!) + (other ? ` (${other})` : '');
    })
    .join(' and ');
  throw new DeviceFault(
    'wrong-chip-id',
    `${i2cLocation(bus, address)}: expected ${chip} holding ${expected}, found ${seen}`,
  );
}
