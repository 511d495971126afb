/**
 * Conversion of an input voltage to engineering units (a pH probe's volts to pH,
 * a pressure transducer's volts to kPa). Pure math, kept apart from the driver so
 * it is tested on its own and the same numbers appear in the README.
 */

export interface LinearCalibration {
  kind: 'linear';
  /** Engineering units per volt. */
  scale: number;
  /** Engineering units at 0 V. */
  offset: number;
  /** UCUM code of the result, e.g. `kPa` or `[pH]`. */
  unit: string;
}

export interface TwoPointCalibration {
  kind: 'two-point';
  /** Two measured (volts, value) pairs, e.g. the readings in pH 7 and pH 4 buffers. */
  points: readonly [readonly [number, number], readonly [number, number]];
  unit: string;
}

export type Calibration = LinearCalibration | TwoPointCalibration;

/** The straight line through a two-point calibration, as scale and offset. */
export function lineThrough(points: TwoPointCalibration['points']): { scale: number; offset: number } {
  const [[v1, y1], [v2, y2]] = points;
  if (v1 === v2) throw new RangeError('two-point calibration needs two different voltages');
  const scale = (y2 - y1) / (v2 - v1);
  return { scale, offset: y1 - scale * v1 };
}

export function applyCalibration(volts: number, calibration: Calibration | undefined): number {
  if (!calibration) return volts;
  if (calibration.kind === 'linear') return calibration.scale * volts + calibration.offset;
  const [[v1, y1]] = calibration.points;
  const { scale } = lineThrough(calibration.points);
  // Anchored at the first point rather than at 0 V, so a reading at a calibration point reproduces it exactly.
  return y1 + scale * (volts - v1);
}
