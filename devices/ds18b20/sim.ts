/**
 * DS18B20 as Linux's w1_therm shows it: renderW1Slave() is the w1_slave text after a
 * conversion at the `temperatureC` input. Whether the sensor is on the bus at all is
 * the simulated 1-Wire bus's business (it lists the ROM id or not, and reading a
 * vanished one fails with ENOENT), not this object's.
 */
import type { SimInputs, SimOneWireDevice } from '../../src/device-kit/index.js';
import {
  buildScratchpad,
  configFor,
  POWER_ON_RAW,
  type ResolutionBits,
  rawFromCelsius,
} from './scratchpad.js';
import { renderW1Slave } from './w1-slave.js';

/** TH and TL as genuine chips ship them in EEPROM: +75 °C and +70 °C. */
const DEFAULT_TH = 0x4b;
const DEFAULT_TL = 0x46;

/** Reserved byte 6 right after power-up on genuine chips; w1_therm's optional result check looks for it. */
const RESERVED6_POWER_ON = 0x0c;

export class Ds18b20Sim implements SimOneWireDevice {
  private temperatureC = 21;
  private crcFails = false;
  private powerOnReads = 0;
  /** w1_therm's family_data starts zeroed and keeps the last scratchpad whose CRC passed. */
  private lastGood: Uint8Array = new Uint8Array(9);

  constructor(
    readonly romId: string,
    private readonly resolutionBits: ResolutionBits = 12,
  ) {}

  setInputs(inputs: SimInputs): void {
    if (inputs.temperatureC !== undefined) this.temperatureC = inputs.temperatureC;
  }

  /** While on, the scratchpad arrives corrupted on every try and the kernel prints NO (pre-2020 w1_therm). */
  failCrc(on: boolean): void {
    this.crcFails = on;
  }

  /**
   * The next `reads` renders show the power-on scratchpad (+85 °C): the chip reset and no
   * conversion ran. Every renderW1Slave() call counts, as every read of w1_slave converts anew.
   */
  powerOnReset(reads = 1): void {
    this.powerOnReads = reads;
  }

  /** The scratchpad the chip holds now. */
  scratchpad(): Uint8Array {
    const config = configFor(this.resolutionBits);
    if (this.powerOnReads > 0) {
      return buildScratchpad({
        raw: POWER_ON_RAW,
        th: DEFAULT_TH,
        tl: DEFAULT_TL,
        config,
        reserved6: RESERVED6_POWER_ON,
      });
    }
    // Below 12 bits the low bits are undefined (datasheet); they keep the finer bits here,
    // the worst case for a driver that forgets to ignore them.
    const raw = rawFromCelsius(this.temperatureC);
    // Genuine chips leave 0x10 − (LSB mod 16) in reserved byte 6 after a conversion.
    const reserved6 = 0x10 - (raw & 0x0f);
    return buildScratchpad({ raw, th: DEFAULT_TH, tl: DEFAULT_TL, config, reserved6 });
  }

  renderW1Slave(): string {
    const read = this.scratchpad();
    if (this.powerOnReads > 0) this.powerOnReads -= 1;
    if (this.crcFails) {
      // One bit flipped on the wire in the temperature LSB: byte 8 no longer matches.
      read[0] = read[0]! ^ 0x01;
      return renderW1Slave(read, this.lastGood);
    }
    this.lastGood = read;
    return renderW1Slave(read, read);
  }
}
