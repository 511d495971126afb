/**
 * Runs the built daemon (`dist/`) as a real child process with a config written to
 * a temp folder, and lets tests await its log lines and events instead of sleeping.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const repoRoot = join(import.meta.dirname, '../..');
export const cliPath = join(repoRoot, 'dist/src/cli/main.js');

export interface LogLine {
  level: number;
  msg: string;
  event?: { type: string; [k: string]: unknown };
  [key: string]: unknown;
}

export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly waiters = new Set<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  private readonly stderrWaiters = new Set<{ test: RegExp; resolve: () => void }>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text);
      } catch {
        line = { level: 30, msg: text };
      }
      this.lines.push(line);
      for (const w of this.waiters) {
        if (!w.test(line)) continue;
        this.waiters.delete(w);
        w.resolve(line);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (text) => {
      this.stderr.push(text);
      for (const w of this.stderrWaiters) {
        if (!w.test.test(text)) continue;
        this.stderrWaiters.delete(w);
        w.resolve();
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line (already seen or to come) that passes `test`. */
  waitFor(test: (line: LogLine) => boolean, what = 'log line'): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.waiters.add({ test, resolve });
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`daemon exited (${code ?? signal}) before ${what}\n${this.stderr.join('\n')}`)),
      );
    });
  }

  waitForEvent(
    type: string,
    test: (event: Record<string, unknown>) => boolean = () => true,
  ): Promise<LogLine> {
    return this.waitFor((l) => l.event?.type === type && test(l.event), `event ${type}`);
  }

  waitForStderr(pattern: RegExp): Promise<void> {
    if (this.stderr.some((l) => pattern.test(l))) return Promise.resolve();
    return new Promise((resolve) => this.stderrWaiters.add({ test: pattern, resolve }));
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

export function startDaemon(
  args: string[],
  options: { script?: string; env?: NodeJS.ProcessEnv } = {},
): DaemonProcess {
  const child = spawn(process.execPath, [options.script ?? cliPath, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  return new DaemonProcess(child);
}

/** A temp folder holding `node.yaml` (the text given) and the data directory. */
export function writeConfig(text: string): { dir: string; file: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'benchloop-it-'));
  const file = join(dir, 'node.yaml');
  const dataDir = join(dir, 'data');
  writeFileSync(file, text.replaceAll('DATA_DIR', dataDir));
  return { dir, file, dataDir };
}

export function simLine(dataDir: string, name: string): string {
  return readFileSync(join(dataDir, 'sim', 'gpio', name), 'utf8').trim();
}
