/**
 * The guest's check runner. Results go to the serial console, one line each, for
 * the host to parse: `@@ PASS name (ms) -- notes`, `@@ FAIL name -- reason` (details
 * follow as `@@ | …`), then `@@ DONE N passed, N failed`. Names hold colons, never ` -- `. Checks run in order because they
 * drive one kernel; a check whose prerequisite failed fails too (it is never
 * skipped quietly), naming the prerequisite.
 */
import { inspect } from 'node:util';

export interface CheckContext {
  /** Extra words for the PASS line: what was measured, for whoever reads the log. */
  note(text: string): void;
}

interface Check {
  name: string;
  needs: string[];
  timeoutMs: number;
  run(context: CheckContext): Promise<void>;
}

export function say(line: string): void {
  process.stdout.write(`@@ ${line}\n`);
}

export class Checks {
  private readonly checks: Check[] = [];
  private readonly failed = new Set<string>();
  private passed = 0;

  constructor(private readonly filter = '') {}

  /** `needs`: names of earlier checks this one cannot run without. */
  add(
    name: string,
    run: (context: CheckContext) => Promise<void>,
    options: { needs?: string[]; timeoutMs?: number } = {},
  ): string {
    this.checks.push({ name, run, needs: options.needs ?? [], timeoutMs: options.timeoutMs ?? 60_000 });
    return name;
  }

  async runAll(): Promise<{ passed: number; failed: number }> {
    // A filter selects checks by the start of their name, with what they need.
    const selected = new Set(this.checks.filter((c) => c.name.startsWith(this.filter)).map((c) => c.name));
    for (const check of [...this.checks].reverse()) {
      if (selected.has(check.name)) for (const need of check.needs) selected.add(need);
    }
    for (const check of this.checks) {
      if (!selected.has(check.name)) continue;
      const missing = check.needs.filter((n) => this.failed.has(n));
      if (missing.length > 0) {
        this.fail(check.name, new Error(`not run: it needs ${missing.map((m) => `"${m}"`).join(', ')}`));
        continue;
      }
      await this.runOne(check);
    }
    const failed = this.failed.size;
    say(`DONE ${this.passed} passed, ${failed} failed`);
    return { passed: this.passed, failed };
  }

  private async runOne(check: Check): Promise<void> {
    const notes: string[] = [];
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check.run({ note: (text) => notes.push(text) }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${check.timeoutMs} ms`)),
            check.timeoutMs,
          );
        }),
      ]);
      this.passed += 1;
      const ms = Math.round(performance.now() - started);
      say(`PASS ${check.name} (${ms} ms)${notes.length ? ` -- ${notes.join('; ')}` : ''}`);
    } catch (error) {
      this.fail(check.name, error, notes);
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(name: string, error: unknown, notes: string[] = []): void {
    this.failed.add(name);
    const text = error instanceof Error ? (error.stack ?? error.message) : inspect(error);
    const [first, ...rest] = text.split('\n');
    say(`FAIL ${name} -- ${first}`);
    for (const line of [...rest.slice(0, 30), ...notes.map((n) => `note: ${n}`)]) say(`| ${line}`);
  }
}
