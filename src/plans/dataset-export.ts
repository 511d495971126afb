/**
 * A dataset as a file that carries its provenance (`benchloop export`): CSV with the
 * provenance as leading `# key: value` comment lines (nested keys flattened to paths,
 * `devices[0].channels[1].calibration.offset`; the plan itself as one line of JSON),
 * then a header row and one row per sample; or JSON Lines with `{"provenance": …}`
 * first and then the rows as stored. Pure: lines in, lines out.
 */
import type { DatasetRow } from './dataset-rows.js';

export type ExportFormat = 'csv' | 'jsonl';

export const CSV_COLUMNS = [
  't',
  'time',
  'device',
  'channel',
  'value',
  'unit',
  'quality',
  'error',
  'step',
  'iteration',
] as const;

/** The lines before the rows (each without its newline). */
export function exportHead(format: ExportFormat, provenance: Record<string, unknown>): string[] {
  if (format === 'jsonl') return [JSON.stringify({ provenance })];
  const comments = flatten(provenance).map(([key, value]) => `# ${key}: ${value}`);
  return [...comments, CSV_COLUMNS.join(',')];
}

export function exportRow(format: ExportFormat, row: DatasetRow): string {
  if (format === 'jsonl') return JSON.stringify(row);
  const fields = [
    String(row.t),
    new Date(row.t).toISOString(),
    row.d,
    row.c,
    row.v === null ? '' : String(row.v),
    row.unit,
    row.q,
    row.e ?? '',
    row.step,
    row.iteration?.join('.') ?? '',
  ];
  return fields.map(csvField).join(',');
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `[key path, value]` pairs; strings as they are (JSON when they hold a line break), the plan as one JSON line. */
export function flatten(value: unknown, path = ''): Array<[string, string]> {
  const leaf = (v: unknown): Array<[string, string]> => {
    const text = typeof v === 'string' && !/[\r\n]/.test(v) ? v : JSON.stringify(v);
    return [[path, text]];
  };
  if (path === 'plan') return leaf(value);
  if (Array.isArray(value))
    return value.length === 0 ? leaf(value) : value.flatMap((item, i) => flatten(item, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return leaf(value);
    return entries.flatMap(([key, item]) => flatten(item, path ? `${path}.${key}` : key));
  }
  return leaf(value);
}
