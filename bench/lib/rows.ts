/**
 * The one row shape every benchmark part returns, so run-all can print a single table. A figure is
 * measured side by side with its baseline in the same run; `ratio` is value / baseline.
 */
export interface BenchRow {
  /** The part of the suite: cost, overhead, intake, throughput, start-up, model quota, Service Bus. */
  readonly part: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** What the figure is compared with, measured in the same run. */
  readonly baseline?: { readonly label: string; readonly value: number };
  readonly ratio?: number;
  /** The target in words, e.g. "<= 2" or ">= 0.8". */
  readonly target?: string;
  /** Whether the target is met; absent when the row has no target. */
  readonly met?: boolean;
  /** A short note shown under the table. */
  readonly note?: string;
}

export function withBaseline(
  row: Omit<BenchRow, 'baseline' | 'ratio'>,
  label: string,
  baseline: number,
): BenchRow {
  // No ratio against a zero baseline (0 point reads against a floor of 0 is not "ratio 0").
  return {
    ...row,
    baseline: { label, value: baseline },
    ...(baseline === 0 ? {} : { ratio: row.value / baseline }),
  };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A row's value as text: integers plainly, others with up to 2 decimals (3 for small ratios). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const digits = Math.abs(value) < 1 ? 3 : 2;
  return round(value, digits).toLocaleString('en-US', { maximumFractionDigits: digits });
}
