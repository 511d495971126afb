/** From a conversion code to a channel reading with its quality. Pure. */
import type { ChannelReading } from '../../src/device-kit/index.js';
import { applyCalibration, type Calibration } from './calibration.js';
import { codeToVolts, type FullScaleV, isClipped, type MuxSetting } from './registers.js';

export interface InputSettings {
  name: string;
  mux: MuxSetting;
  fullScaleV: FullScaleV;
  calibration?: Calibration | undefined;
}

export function toReading(input: InputSettings, code: number): ChannelReading {
  const value = applyCalibration(codeToVolts(code, input.fullScaleV), input.calibration);
  if (isClipped(code)) {
    return {
      channel: input.name,
      value,
      quality: 'uncertain',
      error: `input beyond ±FS (±${input.fullScaleV} V, ${input.mux}): reading clipped`,
    };
  }
  return { channel: input.name, value, quality: 'good' };
}
