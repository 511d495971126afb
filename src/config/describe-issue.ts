/**
 * Turns a zod issue into what a technician needs: what was found at the key, and
 * what is allowed there (for an unknown key: the allowed keys, and the likely one
 * they meant).
 */
import { z } from 'zod';
import type { PathIssue } from './cross-check.js';

export interface DescribedIssue extends PathIssue {
  /** For an unknown key: the key, so the location points at it. */
  key?: string;
}

type Issue = z.core.$ZodIssue;

export function describeIssue(issue: Issue, schema: z.ZodType, data: unknown): DescribedIssue[] {
  const path = issue.path as (string | number)[];
  const value = valueAt(data, path);
  const found = describeValue(value);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, data, path);
      return issue.keys.map((key) => ({
        path,
        key,
        message: `unknown key "${key}"${suggest(key, allowed)}; allowed keys: ${allowed.join(', ')}`,
      }));
    }
    case 'invalid_type':
      if (value === undefined)
        return [{ path, message: `missing; expected ${expectedText(issue.expected)}` }];
      return [{ path, message: `found ${found}; expected ${expectedText(issue.expected)}` }];
    case 'invalid_value':
      return [
        {
          path,
          message: `found ${found}; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        },
      ];
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const what = value === undefined ? 'missing' : `found ${found}`;
        return [{ path, message: `${what}; allowed: ${options.map((o) => JSON.stringify(o)).join(', ')}` }];
      }
      return [{ path, message: `found ${found}; expected one of: ${unionAlternatives(issue)}` }];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const subject =
        issue.origin === 'array' ? 'number of items' : issue.origin === 'string' ? 'length' : 'value';
      const hint = issue.message && !issue.message.startsWith('Too') ? ` (${issue.message})` : '';
      return [{ path, message: `found ${found}; ${subject} must be ${bound} ${limit}${hint}` }];
    }
    case 'custom':
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: `found ${found}; ${issue.message}` }];
  }
}

function expectedText(expected: string): string {
  return expected === 'int'
    ? 'a whole number'
    : expected === 'object'
      ? 'a mapping'
      : expected === 'array'
        ? 'a list'
        : `a ${expected}`;
}

function unionAlternatives(issue: Issue & { code: 'invalid_union' }): string {
  const texts = issue.errors.map((branch) => {
    const first = branch[0];
    if (!first) return 'something else';
    if (first.code === 'unrecognized_keys') return `a mapping without ${first.keys.join(', ')}`;
    const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    return `${where}${first.message.replace(/^Invalid input: /, '')}`;
  });
  return [...new Set(texts)].join(' | ');
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[step];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${JSON.stringify(value)} (${typeof value})`;
}

/** Walks the schema along the data path to the object schema there, choosing union members by the data. */
function allowedKeys(schema: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  let value = data;
  for (let i = 0; i <= path.length && current; i++) {
    current = unwrap(current, value);
    if (i === path.length) break;
    const step = path[i]!;
    const def = (current as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    value =
      value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[step] : undefined;
    if (current instanceof z.ZodObject) current = current.shape[String(step)] as z.ZodType | undefined;
    else if (def.type === 'array') current = def.element as z.ZodType;
    else if (def.type === 'record') current = def.valueType as z.ZodType;
    else current = undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  let current = schema;
  for (;;) {
    const def = (current as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (
      def.type === 'optional' ||
      def.type === 'default' ||
      def.type === 'nullable' ||
      def.type === 'readonly'
    ) {
      current = def.innerType as z.ZodType;
    } else if (def.type === 'pipe') current = def.in as z.ZodType;
    else if (def.type === 'union') {
      const options = def.options as z.ZodType[];
      const discriminator = def.discriminator as string | undefined;
      const record = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      const objects = options.filter((o): o is z.ZodObject => o instanceof z.ZodObject);
      const match = discriminator
        ? objects.find((o) => {
            const literal = (o.shape[discriminator] as unknown as { _zod: { def: { values?: unknown[] } } })
              ?._zod.def;
            return literal?.values?.includes(record[discriminator]);
          })
        : objects.find((o) => Object.keys(record).some((k) => k in o.shape));
      if (!match) return current;
      current = match;
    } else return current;
  }
}

function suggest(key: string, allowed: string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length]!;
}

/** `devices[0].oversampling.temperature`: a key path as a user reads it in the YAML. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
