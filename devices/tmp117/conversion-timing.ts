/**
 * TMP117 conversion timing (TI SNOSD82D §7.3.2, §7.4.1, §7.4.3, Table 7-7).
 * AVG[1:0] and CONV[2:0] are indexes into the tables below.
 */

/** Conversions averaged into one result, by AVG[1:0] (§7.3.2). */
export const AVERAGES = [1, 8, 32, 64] as const;
export type Averaging = (typeof AVERAGES)[number];

/** Conversion cycle by CONV[2:0], when averaging does not stretch it (Table 7-7, column AVG = 00). */
export const CYCLES_MS = [15.5, 125, 250, 500, 1000, 4000, 8000, 16000] as const;
export type ConversionCycleMs = (typeof CYCLES_MS)[number];

/**
 * Duration of one averaged conversion, by AVG[1:0]: Table 7-7 row CONV = 000. A one-shot
 * lasts exactly this, whatever CONV says (§7.4.3); 15.5 ms per conversion, rounded up by TI.
 */
export const ACTIVE_MS = [15.5, 125, 500, 1000] as const;

export function averagingCode(averaging: Averaging): number {
  return AVERAGES.indexOf(averaging);
}

export function cycleCode(cycleMs: ConversionCycleMs): number {
  return CYCLES_MS.indexOf(cycleMs);
}

export function activeMs(avgCode: number): number {
  return ACTIVE_MS[avgCode & 0b11]!;
}

/** Table 7-7: a cycle never gets shorter than the averaged conversion it contains. */
export function cycleMs(convCode: number, avgCode: number): number {
  return Math.max(CYCLES_MS[convCode & 0b111]!, activeMs(avgCode));
}
