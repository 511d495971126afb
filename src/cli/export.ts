/**
 * `benchloop export PLAN_ID --config FILE [--format csv|jsonl] [--out FILE]`: a plan's
 * dataset as one file that carries its provenance (docs/plans.md, "Export"). Reads
 * the plan's folder under the config's dataDir; touches no hardware, so it runs beside
 * the daemon, during a plan too (the file then says `state: running`). Rows are
 * streamed: a dataset of millions of rows does not have to fit in memory.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import { type ExportFormat, exportHead, exportRow } from '../plans/dataset-export.js';
import { listPlanIds, PLAN_ID_PATTERN, PlanFiles, streamRows } from '../plans/plan-files.js';
import { ExitCode } from './exit-codes.js';
import { loadConfigOrExit } from './load.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("write a plan's dataset with its provenance (CSV or JSON Lines); touches no hardware")
    .argument('<planId>', 'the plan, as plan.run answered (p-YYYYMMDD-HHMMSS-xxxxxx)')
    .requiredOption('-c, --config <file>', 'node configuration (YAML): its dataDir holds the plans')
    .addOption(new Option('--format <format>', 'file format').choices(['csv', 'jsonl']).default('csv'))
    .option('-o, --out <file>', 'write here instead of stdout')
    .action((planId: string, o: ExportOptions) => exportCommand(planId, o));
}

export interface ExportOptions {
  config: string;
  format: ExportFormat;
  out?: string;
}

export async function exportCommand(planId: string, options: ExportOptions): Promise<void> {
  const { config } = loadConfigOrExit(options.config);
  const plansDir = join(config.dataDir, 'plans');
  const files = new PlanFiles(plansDir, PLAN_ID_PATTERN.test(planId) ? planId : 'p-invalid');
  const provenance = PLAN_ID_PATTERN.test(planId) ? await files.provenance.read() : null;
  if (!provenance) {
    const known = (await listPlanIds(plansDir)).slice(-10);
    process.stderr.write(
      `no plan "${planId}" in ${plansDir}; ${known.length ? `latest plans: ${known.join(', ')}` : 'no plans there'}\n`,
    );
    process.exit(ExitCode.usage);
  }
  const out: Writable = options.out ? createWriteStream(options.out) : process.stdout;
  let rows = 0;
  for (const line of exportHead(options.format, provenance)) await write(out, `${line}\n`);
  for await (const row of streamRows(files.datasetFile)) {
    await write(out, `${exportRow(options.format, row)}\n`);
    rows += 1;
  }
  if (options.out) {
    out.end();
    await finished(out);
    process.stderr.write(`${options.out}: plan ${planId}, ${rows} rows, ${options.format}\n`);
  }
}

/** Writes with backpressure: waits for the stream to drain when its buffer is full. */
function write(stream: Writable, text: string): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve) => stream.once('drain', resolve));
}
