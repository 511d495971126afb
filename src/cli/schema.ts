import { z } from 'zod';
import { deviceDefinitions } from '../../devices/index.js';
import { buildConfigSchema } from '../config/schema.js';

/** The node config's JSON Schema (draft 2020-12), for editors' completion and validation of YAML. */
export function schemaCommand(): void {
  const schema = z.toJSONSchema(buildConfigSchema(deviceDefinitions), {
    io: 'input',
    unrepresentable: 'any',
  });
  process.stdout.write(`${JSON.stringify({ title: 'benchloop node configuration', ...schema }, null, 2)}\n`);
}
