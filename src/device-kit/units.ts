/** UCUM codes (https://ucum.org) used for channel units, as the protocol requires. */
export const Ucum = {
  celsius: 'Cel',
  pascal: 'Pa',
  percent: '%',
  volt: 'V',
  ampere: 'A',
  watt: 'W',
  hertz: 'Hz',
  dimensionless: '1',
} as const;

export type UcumCode = string;
