/**
 * The published JSON Schema (docs/plan.schema.json) is the zod schema's output, byte
 * for byte: change the schema and this test fails until the file is regenerated with
 * `UPDATE_PLAN_SCHEMA=1 npx vitest run src/plans/plan-schema.test.ts`. The example
 * plans of docs/plans.md pass the schema, so the docs cannot drift either.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planJsonSchema, planSchema } from './plan-schema.js';

const root = join(import.meta.dirname, '../..');
const schemaFile = join(root, 'docs/plan.schema.json');

describe('plan schema', () => {
  it('docs/plan.schema.json is what the schema generates', () => {
    const generated = `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_PLAN_SCHEMA === '1') writeFileSync(schemaFile, generated);
    expect(readFileSync(schemaFile, 'utf8')).toBe(generated);
  });

  it('every example plan in docs/plans.md is a valid plan', () => {
    const docs = readFileSync(join(root, 'docs/plans.md'), 'utf8');
    const examples = [...docs.matchAll(/```json plan\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const example of examples) expect(planSchema.safeParse(example).error?.issues).toBeUndefined();
  });
});
