/**
 * Resident memory of the daemon running the demo bench, once settled, next to an
 * idle bare Node process: what benchloop itself costs on a small board.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Benchmark } from './harness.js';

const root = join(import.meta.dirname, '../../..');

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

async function settledRss(args: string[], readyLine: RegExp | undefined, settleMs: number): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  if (readyLine) {
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve) => lines.on('line', (l) => readyLine.test(l) && resolve()));
  }
  await new Promise((r) => setTimeout(r, settleMs));
  const kib = rssKiB(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return kib / 1024;
}

export const idleRss: Benchmark = {
  name: 'idle-rss',
  description: 'RSS of the daemon on the demo bench after 10 s, vs an idle `node`',
  async run() {
    const dataDir = mkdtempSync(join(tmpdir(), 'benchloop-bench-'));
    const daemon = await settledRss(
      [
        'dist/src/cli/main.js',
        'run',
        '--config',
        'deploy/examples/incubator.yaml',
        '--data-dir',
        dataDir,
        '--no-pretty',
        '--summary-every',
        '0',
      ],
      /benchloop running/,
      10_000,
    );
    const bare = await settledRss(['-e', 'setInterval(() => {}, 1000); console.log("ready")'], /ready/, 2000);
    return [
      {
        name: 'daemon RSS (demo bench)',
        value: daemon,
        unit: 'MiB',
        baseline: { name: 'idle node', value: bare },
      },
    ];
  },
};
