/** What `benchloop doctor` and `benchloop provision` report: one line per check, and what to do when it failed. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Short, stable: `broker.tls`, `i2c.bus1`, `device.chamber`. */
  check: string;
  status: CheckStatus;
  /** What was found. */
  message: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

export const ok = (check: string, message: string): CheckResult => ({ check, status: 'ok', message });
export const skip = (check: string, message: string): CheckResult => ({ check, status: 'skip', message });
export const warn = (check: string, message: string, fix: string): CheckResult => ({
  check,
  status: 'warn',
  message,
  fix,
});
export const fail = (check: string, message: string, fix: string): CheckResult => ({
  check,
  status: 'fail',
  message,
  fix,
});

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function formatResult(r: CheckResult): string {
  const head = `${LABEL[r.status]}  ${r.check.padEnd(18)} ${r.message}`;
  return r.fix ? `${head}\n${' '.repeat(25)}→ ${r.fix}` : head;
}

export function summary(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} skipped`;
}
