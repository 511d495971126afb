/**
 * SHT3x-DIS simulator. The chip has no register file: it takes 16-bit commands and
 * answers the next read with that command's reply, so this is a small state machine
 * timed by the injected clock (datasheet §4.2–4.11).
 */
import {
  busError,
  hex,
  parseDump,
  type RegisterDump,
  type SimClock,
  type SimI2cDevice,
  type SimInputs,
} from '../../src/device-kit/index.js';
import {
  CLEAR_STATUS,
  CLOCK_STRETCH_COMMANDS,
  encodeWord,
  HEATER_OFF,
  HEATER_ON,
  MEASURE_COMMAND,
  MEASUREMENT_TYPICAL_MS,
  READ_STATUS,
  type Repeatability,
  rawFromHumidity,
  rawFromTemperature,
  SOFT_RESET,
  SOFT_RESET_MAX_MS,
  STATUS,
} from './protocol.js';

type Pending =
  | { kind: 'none' }
  | { kind: 'measurement'; readyAtMs: number; bytes: Uint8Array }
  | { kind: 'status'; bytes: Uint8Array };

const REPEATABILITY_OF = new Map<number, Repeatability>(
  Object.entries(MEASURE_COMMAND).map(([name, code]) => [code, name as Repeatability]),
);

const COMMAND_LOG_LENGTH = 64;

/** Dump keys `loadDump` accepts; see README "Golden cases". */
const DUMP_KEYS = ['measurement'];

export class Sht3xSim implements SimI2cDevice {
  private temperatureC = 23;
  private humidityPct = 45;
  private status: number = STATUS.afterReset;
  private pending: Pending = { kind: 'none' };
  private busyUntilMs = 0;
  private extraMeasurementMs = 0;
  private frozenMeasurement: Uint8Array | undefined;
  private readonly corruptWords = new Set<number>();
  private injectedReply: Uint8Array | undefined;
  /** The last commands received, most recent last, for tests that check the driver's traffic. */
  readonly commands: number[] = [];

  constructor(
    private readonly clock: SimClock,
    readonly address: number,
  ) {}

  setInputs(inputs: SimInputs): void {
    if (inputs.temperatureC !== undefined) this.temperatureC = inputs.temperatureC;
    if (inputs.humidityPct !== undefined) this.humidityPct = inputs.humidityPct;
  }

  /**
   * `{ "measurement": "<6 bytes hex>" }`: every measurement answers these bytes exactly
   * (T MSB, T LSB, T CRC, RH MSB, RH LSB, RH CRC), so golden cases can give raw bytes.
   */
  loadDump(dump: RegisterDump): void {
    for (const key of Object.keys(dump)) {
      if (!DUMP_KEYS.includes(key)) {
        throw new Error(`sht3x sim dump: unknown key "${key}"; allowed keys: ${DUMP_KEYS.join(', ')}`);
      }
    }
    if (dump.measurement === undefined) return;
    const [entry] = parseDump({ measurement: dump.measurement });
    if (entry!.bytes.length !== 6) {
      throw new Error(`sht3x sim dump: "measurement" must be 6 bytes, found ${entry!.bytes.length}`);
    }
    this.frozenMeasurement = entry!.bytes;
  }

  /** The CRC byte of word `word` (0: temperature or status, 1: humidity) of the next reply is wrong. */
  corruptNextCrc(word: 0 | 1): void {
    this.corruptWords.add(word);
  }

  /** The next read answers exactly these bytes, as a different chip or a garbled transfer would. */
  replyNext(bytes: ArrayLike<number>): void {
    this.injectedReply = Uint8Array.from(bytes);
  }

  /** Measurements take this much longer than typical, beyond the datasheet maximum if large enough. */
  slowBy(ms: number): void {
    this.extraMeasurementMs = ms;
  }

  get heaterOn(): boolean {
    return (this.status & STATUS.heaterOn) !== 0;
  }

  get statusRegister(): number {
    return this.status;
  }

  write(data: Uint8Array): void {
    const now = this.clock.nowMs();
    if (now < this.busyUntilMs) throw this.nack('resetting');
    if (this.pending.kind === 'measurement' && now < this.pending.readyAtMs) throw this.nack('measuring');
    if (data.length !== 2) {
      // Commands with data (alert limits) are not modelled; refusing them keeps a wrong driver loud.
      this.status |= STATUS.commandFailed;
      throw this.nack(`${data.length}-byte write: only 2-byte commands are modelled`);
    }
    const command = (data[0]! << 8) | data[1]!;
    this.commands.push(command);
    // Bounded: the simulated node may run for weeks.
    if (this.commands.length > COMMAND_LOG_LENGTH) this.commands.shift();
    if (!this.execute(command, now)) {
      // Table 18 bit 1: "last command not processed (invalid or failed its checksum)".
      this.status |= STATUS.commandFailed;
      throw this.nack(`command ${hex(command, 4)} not supported`);
    }
    this.status &= ~STATUS.commandFailed;
  }

  read(length: number): Uint8Array {
    const now = this.clock.nowMs();
    if (now < this.busyUntilMs) throw this.nack('resetting');
    if (this.injectedReply) {
      const reply = this.injectedReply;
      this.injectedReply = undefined;
      this.pending = { kind: 'none' };
      return toLength(reply, length);
    }
    const pending = this.pending;
    // §4.4 / §4.6: with no data present the read header is NACKed, and so it is while measuring.
    if (pending.kind === 'none') throw this.nack('no data');
    if (pending.kind === 'measurement' && now < pending.readyAtMs) throw this.nack('measuring');
    this.pending = { kind: 'none' };
    const bytes = Uint8Array.from(pending.bytes);
    for (const word of this.corruptWords) {
      const at = 3 * word + 2;
      if (at < bytes.length) bytes[at] = bytes[at]! ^ 0x01;
    }
    this.corruptWords.clear();
    return toLength(bytes, length);
  }

  private execute(command: number, now: number): boolean {
    const repeatability = REPEATABILITY_OF.get(command);
    if (repeatability) {
      this.pending = {
        kind: 'measurement',
        readyAtMs: now + MEASUREMENT_TYPICAL_MS[repeatability] + this.extraMeasurementMs,
        bytes: this.frozenMeasurement ?? this.measure(),
      };
      return true;
    }
    if (CLOCK_STRETCH_COMMANDS.includes(command)) return false;
    switch (command) {
      case SOFT_RESET:
        this.status = STATUS.afterReset;
        this.pending = { kind: 'none' };
        this.busyUntilMs = now + SOFT_RESET_MAX_MS;
        return true;
      case READ_STATUS:
        this.pending = {
          kind: 'status',
          bytes: Uint8Array.from(encodeWord(this.status & ~STATUS.commandFailed)),
        };
        return true;
      case CLEAR_STATUS:
        this.status &= ~STATUS.clearable;
        return true;
      case HEATER_ON:
        this.status |= STATUS.heaterOn;
        return true;
      case HEATER_OFF:
        this.status &= ~STATUS.heaterOn;
        return true;
      default:
        return false;
    }
  }

  private measure(): Uint8Array {
    return Uint8Array.from([
      ...encodeWord(rawFromTemperature(this.temperatureC)),
      ...encodeWord(rawFromHumidity(this.humidityPct)),
    ]);
  }

  private nack(why: string): NodeJS.ErrnoException {
    return busError('EREMOTEIO', `sht3x sim ${hex(this.address)}: NACK (${why})`);
  }
}

/** A master reading fewer bytes stops the chip early (§4.4); reading more gets an idle bus (0xFF). */
function toLength(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  out.set(bytes.subarray(0, length));
  return out;
}
