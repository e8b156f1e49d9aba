/**
 * How the command line speaks: tables and short lines for people on stdout, JSON for scripts (`--json`),
 * progress (spinners, bars) on stderr only when it is a terminal, and every failure on stderr with a
 * non-zero exit: the problem's title, detail, offending fields and trace id for an API refusal.
 */
import Table from 'cli-table3';
import { PromptPipelineError } from '../index.js';

export interface Output {
  readonly json: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A table of rows, each a list of cells; an empty list prints `(none)`. */
export function printTable(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const table = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(textOf));
  process.stdout.write(`${table.toString()}\n`);
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return value.toString();
  return JSON.stringify(value) ?? '';
}

/** Name: value lines, aligned (one record for people). */
export function printRecord(record: Readonly<Record<string, unknown>>): void {
  const entries = Object.entries(record).filter(([, value]) => value !== undefined && value !== null);
  const width = Math.max(...entries.map(([name]) => name.length));
  for (const [name, value] of entries) {
    process.stdout.write(`${name.padEnd(width)}  ${textOf(value)}\n`);
  }
}

/** Progress decorations only where a person watches: a terminal, and not `--json`. */
export function interactive(output: Output): boolean {
  return !output.json && process.stderr.isTTY === true;
}

/** The message a failure prints; an API refusal shows its problem and trace id. */
export function describeFailure(error: unknown): string {
  if (error instanceof PromptPipelineError) {
    const problem = error.problem;
    const lines = [
      problem ? `Error ${error.status} ${problem.title}: ${problem.detail}` : `Error: HTTP ${error.status}`,
      ...(problem?.errors ?? []).map((field) => `  ${field.field}: ${field.message}`),
    ];
    if (error.traceId) lines.push(`  trace id: ${error.traceId}`);
    return lines.join('\n');
  }
  if (!(error instanceof Error)) return `Error: ${String(error)}`;
  // fetch's "fetch failed" says nothing; its cause says what (ECONNREFUSED 127.0.0.1:7071, ...).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `Error: ${error.message}${cause}`;
}

/** Runs a command's action: a failure prints its description and sets a non-zero exit code. */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await run(...args);
    } catch (error) {
      process.stderr.write(`${describeFailure(error)}\n`);
      process.exitCode = 1;
    }
  };
}
