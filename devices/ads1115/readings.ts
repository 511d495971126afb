/** From a conversion code to a channel reading with its quality. Pure. */
import type { ChannelReading } from '../../src/device-kit/index.js';
import { codeToVolts, type FullScaleV, isClipped, type MuxSetting } from './registers.js';

export interface InputSettings {
  name: string;
  mux: MuxSetting;
  fullScaleV: FullScaleV;
}

export function toReading(input: InputSettings, code: number): ChannelReading {
  const value = codeToVolts(code, input.fullScaleV);
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
