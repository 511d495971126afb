import { describe, expect, it } from 'vitest';
import { dumpWords, finiteInput, RegisterFile16, RegisterSim16, type SimInputs } from './sim.js';

/**
 * Two registers: 0 counts the conversions elapse() completed, 1 holds what was written;
 * reading register 1 clears it, as status flags do. Logs the hooks in order.
 */
class CountingSim extends RegisterSim16 {
  readonly log: string[] = [];
  conversions = 0;
  level = 0;
  held = 0;

  constructor() {
    super(2);
  }

  protected override takeInputs(inputs: SimInputs): void {
    this.log.push('takeInputs');
    this.level = inputs.level ?? this.level;
  }

  protected override readRegister(register: number): number {
    return register === 0 ? this.conversions : this.held;
  }

  protected override writeRegister(register: number, value: number): void {
    this.log.push(`write ${register} ${value.toString(16)}`);
    if (register === 1) this.held = value;
  }

  protected override elapse(): void {
    this.log.push('elapse');
    this.conversions++;
  }

  protected override afterRead(register: number): void {
    this.log.push(`afterRead ${register}`);
    if (register === 1) this.held = 0;
  }
}

describe('RegisterSim16', () => {
  it('takes a pointer and a value MSB first, and answers MSB first', () => {
    const sim = new CountingSim();
    sim.write(Uint8Array.of(1, 0x12, 0x34));
    sim.write(Uint8Array.of(1));
    expect([...sim.read(2)]).toEqual([0x12, 0x34]);
    expect(sim.log).toEqual(['elapse', 'write 1 1234', 'elapse', 'elapse', 'afterRead 1']);
  });

  it('runs the chip up to now before every transfer and before inputs change', () => {
    const sim = new CountingSim();
    sim.write(Uint8Array.of(0));
    expect([...sim.read(2)]).toEqual([0x00, 0x02]);
    sim.setInputs({ level: 3 });
    expect(sim.log.slice(-2)).toEqual(['elapse', 'takeInputs']);
    expect(sim.level).toBe(3);
  });

  it('gives i2c-stub its registers as SMBus words without the side effects of a read', () => {
    const sim = new CountingSim();
    sim.write(Uint8Array.of(1, 0xab, 0xcd));
    expect([...sim.registerImage().words]).toEqual([
      [0, 0x0200],
      [1, 0xcdab],
    ]);
    expect(sim.log).not.toContain('afterRead 1');
  });

  it('NACKs a pointer past its registers', () => {
    expect(() => new CountingSim().write(Uint8Array.of(2))).toThrow(
      expect.objectContaining({ code: 'EREMOTEIO' }),
    );
  });
});

describe('register dumps', () => {
  it('reads 16-bit registers two bytes each, MSB first, from each start register on', () => {
    expect(dumpWords({ '0x02': '1234 abcd', '0x0f': '0117' })).toEqual([
      [2, 0x1234],
      [3, 0xabcd],
      [15, 0x0117],
    ]);
  });

  it('ignores a trailing odd byte, as a half register cannot be loaded', () => {
    expect(dumpWords({ '0x00': '123456' })).toEqual([[0, 0x1234]]);
    const regs = new RegisterFile16(4);
    regs.load({ '0x01': '00ff 7f' });
    expect([...regs.words]).toEqual([[1, 0x00ff]]);
  });
});

describe('finiteInput', () => {
  it('gives the input when present and undefined when absent', () => {
    expect(finiteInput({ temperatureC: -12.5 }, 'temperatureC', 'x sim')).toBe(-12.5);
    expect(finiteInput({ humidityPct: 40 }, 'temperatureC', 'x sim')).toBeUndefined();
  });

  it('refuses a value no sensor could see, naming the simulator and the input', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => finiteInput({ temperatureC: value }, 'temperatureC', 'x sim')).toThrow(
        new RangeError(`x sim: temperatureC must be finite, not ${value}`),
      );
    }
  });
});
