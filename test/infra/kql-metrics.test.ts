/**
 * The workbook and the alerts read the platform's metrics, not sampled log lines: every metric a query
 * names is one shared/telemetry/metrics.ts records (METRIC_NAMES), every attribute the shared prelude
 * projects is one it sets, and no query reads the `traces` table. Tokens come from one metric only, so
 * they are counted once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../shared/telemetry/metrics.js';

const dir = join(import.meta.dirname, '../../infra/workbooks');
const queries = Object.fromEntries(
  readdirSync(dir)
    .filter((name) => name.endsWith('.kql'))
    .map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
);
const known = new Set<string>(Object.values(METRIC_NAMES));
const metricsSource = readFileSync(join(import.meta.dirname, '../../shared/telemetry/metrics.ts'), 'utf8');

/** Metric names a query filters on: `name == '...'` and `name in ('...', ...)`. */
function metricNamesIn(kql: string): string[] {
  const equal = [...kql.matchAll(/\bname\s*==\s*'([^']+)'/g)].map((m) => m[1]!);
  const listed = [...kql.matchAll(/\bname\s+in\s*\(([^)]*)\)/g)].flatMap((m) =>
    [...m[1]!.matchAll(/'([^']+)'/g)].map((n) => n[1]!),
  );
  return [...equal, ...listed];
}

function problemsOf(kql: string): string[] {
  const unknown = metricNamesIn(kql).filter((name) => !known.has(name));
  return [
    ...unknown.map((name) => `unknown metric ${name}`),
    ...(/\btraces\b/.test(kql.replace(/\/\/.*$/gm, '')) ? ['reads the sampled traces table'] : []),
  ];
}

describe('workbook and alert queries', () => {
  it('name only metrics the code records, and never read the traces table', () => {
    const used = Object.entries(queries).flatMap(([file, kql]) =>
      problemsOf(kql).map((p) => `${file}: ${p}`),
    );
    expect(used).toEqual([]);
    // Not vacuous: the panels do name metrics.
    expect(Object.values(queries).flatMap(metricNamesIn).length).toBeGreaterThan(6);
  });

  it('the check catches a misspelt metric and a query over log lines', () => {
    expect(problemsOf("PipelineMetrics | where name == 'pipeline.jobs.finishd'")).toEqual([
      'unknown metric pipeline.jobs.finishd',
    ]);
    expect(problemsOf('traces | where message has "job.completed"')).toEqual([
      'reads the sampled traces table',
    ]);
  });

  it('project only attributes the metrics set', () => {
    const attributes = [...queries['metrics.kql']!.matchAll(/d\['([^']+)'\]/g)].map((m) => m[1]!);
    expect(attributes.length).toBeGreaterThan(5);
    expect(attributes.filter((a) => !metricsSource.includes(`'${a}'`))).toEqual([]);
  });

  it('count tokens from one metric', () => {
    const tokenMetrics = Object.values(queries)
      .flatMap(metricNamesIn)
      .filter((name) => name.includes('token'));
    expect(new Set(tokenMetrics)).toEqual(new Set([METRIC_NAMES.tokenUsage]));
  });
});
