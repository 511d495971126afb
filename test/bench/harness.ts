/** What a benchmark reports: each figure, optionally beside the baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** 'lower' (default) when a smaller value is better. */
  better?: 'lower' | 'higher';
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult[]>;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function formatResults(benchmark: string, results: readonly BenchResult[]): string {
  const lines = results.map((r) => {
    const value = `${round(r.value)} ${r.unit}`;
    if (!r.baseline) return `  ${r.name.padEnd(44)} ${value}`;
    const ratio = r.baseline.value === 0 ? '∞' : `${round(r.value / r.baseline.value)}×`;
    return `  ${r.name.padEnd(44)} ${value.padEnd(16)} vs ${r.baseline.name} ${round(r.baseline.value)} ${r.unit} (ratio ${ratio})`;
  });
  return `${benchmark}\n${lines.join('\n')}\n`;
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3));
}
