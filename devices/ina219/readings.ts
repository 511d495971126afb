/**
 * From the four result registers to channel readings with their quality. Pure: the
 * driver supplies the words it read, the calibration plan and the ranges it set.
 */
import { type ChannelReading, toSigned } from '../../src/device-kit/index.js';
import type { CalibrationPlan } from './calibration.js';
import {
  type BusRangeV,
  busFullScaleCounts,
  decodeBus,
  decodeShunt,
  type ShuntRangeMv,
  shuntFullScaleCounts,
} from './registers.js';

export interface ResultWords {
  shunt: number;
  bus: number;
  current: number;
  power: number;
}

export interface ReadingContext {
  plan: CalibrationPlan;
  shuntRangeMv: ShuntRangeMv;
  busVoltageRangeV: BusRangeV;
}

export const OVERFLOW_ERROR =
  'math overflow (OVF): current and power out of range; raise maxCurrentA or currentLsbA';

function measured(channel: string, value: number, problem: string | undefined): ChannelReading {
  return problem
    ? { channel, value, quality: 'uncertain', error: problem }
    : { channel, value, quality: 'good' };
}

/** OVF means the chip's current or power arithmetic went out of range and both are meaningless (§8.6.3.2). */
function overflowed(channel: string): ChannelReading {
  return { channel, value: null, quality: 'bad', error: OVERFLOW_ERROR };
}

export function toReadings(words: ResultWords, context: ReadingContext): ChannelReading[] {
  const { plan, shuntRangeMv, busVoltageRangeV } = context;
  const shunt = decodeShunt(words.shunt);
  const bus = decodeBus(words.bus);
  const currentA = toSigned(words.current, 16) * plan.currentLsbA;
  // The power register is unsigned: it holds bus voltage × |current| (§8.6.3.3).
  const powerW = words.power * plan.powerLsbW;

  // Past the nominal full scale the ADC clips; values computed from a clipped input are suspect too.
  const shuntProblem =
    Math.abs(shunt.counts) > shuntFullScaleCounts(shuntRangeMv)
      ? `shunt voltage beyond the ±${shuntRangeMv} mV range`
      : undefined;
  const busProblem =
    bus.counts > busFullScaleCounts(busVoltageRangeV)
      ? `bus voltage beyond the ${busVoltageRangeV} V range`
      : undefined;

  return [
    measured('busVoltage', bus.volts, busProblem),
    measured('shuntVoltage', shunt.volts, shuntProblem),
    bus.overflow ? overflowed('current') : measured('current', currentA, shuntProblem),
    bus.overflow ? overflowed('power') : measured('power', powerW, shuntProblem ?? busProblem),
  ];
}
