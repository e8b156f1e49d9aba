/**
 * One table for every part: value, baseline measured in the same run, ratio, target and verdict.
 * Printed to the console (fixed width) and written as Markdown (docs/benchmarks.md).
 */
import { formatNumber, type BenchRow } from './rows.js';

const verdict = (row: BenchRow): string => (row.met === undefined ? '' : row.met ? 'met' : 'MISSED');

function cells(row: BenchRow): string[] {
  return [
    row.part,
    row.metric,
    `${formatNumber(row.value)} ${row.unit}`.trim(),
    row.baseline ? `${formatNumber(row.baseline.value)} (${row.baseline.label})` : '',
    row.ratio === undefined ? '' : formatNumber(row.ratio),
    row.target ?? '',
    verdict(row),
  ];
}

const HEADER = ['part', 'metric', 'value', 'baseline (same run)', 'ratio', 'target', ''];

export function consoleTable(rows: readonly BenchRow[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
  return table
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const escape = (text: string): string => text.replace(/\|/g, '\\|');

export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = [
    `| ${HEADER.map(escape).join(' | ')} |`,
    `| ${HEADER.map((_, i) => (i >= 2 && i <= 4 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${cells(row).map(escape).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** The output of one part: its rows and, optionally, a Markdown section with details. */
export interface PartResult {
  readonly rows: readonly BenchRow[];
  readonly details?: string;
}

/** For `node dist/bench/<part>.js`: print the part's table and details. */
export function printPart(result: PartResult): void {
  console.log(consoleTable(result.rows));
  if (result.details) console.log(`\n${result.details}`);
}
