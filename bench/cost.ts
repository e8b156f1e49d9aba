/**
 * Cost per job: Cosmos DB and Service Bus operations per job, counted on the real SDK clients
 * during an end-to-end run of the local stack, each next to the floor the design allows, and the
 * throughput ceilings they imply in Azure (estimates, bench/cost-model.ts).
 *
 *   npm run build && node dist/bench/cost.js
 * Environment: BENCH_COST_JOBS (20 per front door).
 */
import { pathToFileURL } from 'node:url';
import { measureCost } from './cost-measure.js';
import {
  creditsPerJob,
  estimatedRequestUnitsPerJob,
  QUERY_RU_ASSUMED,
  SERVICE_BUS_STANDARD_CREDITS_PER_SECOND,
} from './cost-model.js';
import { stageHops, summarizeCost, type CostSummary } from './cost-summary.js';
import { isFrontDoor } from './cost-measure.js';
import { printPart, type PartResult } from './lib/report.js';
import { round, withBaseline, type BenchRow } from './lib/rows.js';

const PART = 'cost';
/** The Bicep default autoscale maximum (infra/modules/cosmos.bicep), a realistic provisioned figure. */
const COSMOS_RU_PER_SECOND = 4_000;

export interface CostBenchmarkOptions {
  readonly jobs?: number;
}

export async function runCostBenchmark(options: CostBenchmarkOptions = {}): Promise<PartResult> {
  const jobs = options.jobs ?? (Number(process.env.BENCH_COST_JOBS) || 20);
  const measured = await measureCost({ jobs });
  const http = summarizeCost(measured.http);
  const queue = summarizeCost(measured.queue);
  const rows: BenchRow[] = [];

  const jobPathRows = (summary: CostSummary, label: string) => {
    rows.push(
      withBaseline(
        {
          part: PART,
          metric: `${label}: Cosmos writes per job (create, the kept completion, terminal patch)`,
          value: summary.pipeline.writes,
          unit: 'ops',
          // The kept completion (shared/pipeline/completion-records.ts) is the price of at most one model
          // charge per attempt: docs/reliability.md, finding 1.
          target: '<= 3',
          met: summary.pipeline.writes <= 3,
        },
        'floor',
        3,
      ),
      withBaseline(
        {
          part: PART,
          metric: `${label}: Cosmos point reads per job`,
          value: summary.pipeline.pointReads,
          unit: 'ops',
          target: '<= 1',
          met: summary.pipeline.pointReads <= 1,
        },
        'floor',
        0,
      ),
      {
        part: PART,
        metric: `${label}: Cosmos queries per job`,
        value: summary.pipeline.queries,
        unit: 'ops',
        baseline: { label: 'floor', value: 0 },
        target: '0',
        met: summary.pipeline.queries === 0,
      },
    );
    // Expected hops (3 over HTTP, 4 over intake: no `deliver` for a tenant without webhook endpoints)
    // against the queues the run actually used; the label names what was measured, so it cannot drift.
    const hops = stageHops(summary.via).length;
    const queuesUsed = Object.keys(summary.serviceBusByQueue).length;
    for (const kind of ['send', 'receive', 'complete'] as const) {
      const value = summary.serviceBusTotals[kind] ?? 0;
      const exact = Object.values(summary.serviceBusByQueue).every((queue) => queue[kind] === 1);
      rows.push(
        withBaseline(
          {
            part: PART,
            metric: `${label}: Service Bus ${kind}s per job (${queuesUsed} stage hops)`,
            value,
            unit: 'msgs',
            target: `1 per hop (${hops})`,
            met: value === hops && queuesUsed === hops && exact,
          },
          'floor',
          hops,
        ),
      );
    }
    const other = [
      'abandon',
      'deadLetter',
      'defer',
      'schedule',
      'cancelScheduled',
      'renewLock',
      'peek',
    ] as const;
    const management = summary.serviceBusTotals.admin ?? 0;
    const otherCount = other.reduce((total, kind) => total + (summary.serviceBusTotals[kind] ?? 0), 0);
    rows.push(
      {
        part: PART,
        metric: `${label}: Service Bus management ops per job (entity CRUD)`,
        value: management,
        unit: 'ops',
        target: '0',
        met: management === 0,
      },
      {
        part: PART,
        metric: `${label}: other Service Bus ops per job (abandon, dead-letter, schedule, renew, peek)`,
        value: otherCount,
        unit: 'ops',
        target: '0 on the happy path',
        met: otherCount === 0,
      },
      {
        part: PART,
        metric: `${label}: messages received with delivery count 0`,
        value: round((100 * summary.firstDeliveries) / Math.max(1, summary.receives), 3),
        unit: `% of ${summary.receives}`,
        target: '>= 99.9 %',
        met: summary.firstDeliveries / Math.max(1, summary.receives) >= 0.999,
      },
    );
    const credits = creditsPerJob({
      sends: summary.serviceBusTotals.send ?? 0,
      receives: summary.serviceBusTotals.receive ?? 0,
      settlements: (summary.serviceBusTotals.complete ?? 0) + (summary.serviceBusTotals.abandon ?? 0),
      management,
    });
    rows.push(
      {
        part: PART,
        metric: `${label}: Service Bus Standard ceiling (1,000 credits/s; send + receive, ${credits.documented} credits/job)`,
        value: round(SERVICE_BUS_STANDARD_CREDITS_PER_SECOND / credits.documented, 1),
        unit: 'jobs/s (estimate)',
      },
      {
        part: PART,
        metric: `${label}: same, counting completions as 1 credit too (${credits.withSettlements} credits/job)`,
        value: round(SERVICE_BUS_STANDARD_CREDITS_PER_SECOND / credits.withSettlements, 1),
        unit: 'jobs/s (estimate)',
      },
    );
  };

  jobPathRows(http, 'HTTP job');
  jobPathRows(queue, 'intake-queue job');

  // Authentication and admission, per submission (API key, rate limit, tenant record, in-flight and
  // budget queries), next to the job document's own operations.
  const jobDocumentOps = Object.values(http.byCategory['job document'] ?? {}).reduce((a, b) => a + b, 0);
  for (const summary of [http, queue]) {
    const label = summary.via === 'http' ? 'HTTP submission' : 'intake-queue submission';
    rows.push(
      withBaseline(
        {
          part: PART,
          metric: `${label}: Cosmos requests for authentication and admission (${round(summary.frontDoor.writes, 2)} writes, ${round(summary.frontDoor.pointReads, 2)} point reads, ${round(summary.frontDoor.queries, 2)} queries)`,
          value: round(summary.frontDoor.requests, 2),
          unit: 'ops',
        },
        'job document ops',
        jobDocumentOps,
      ),
    );
  }
  rows.push(
    {
      part: PART,
      metric:
        'Client-reported request charge per HTTP job, all requests (embedded Cosmos: constant 1, not RU)',
      value: round(http.pipeline.reportedCharge + http.frontDoor.reportedCharge, 2),
      unit: 'charge units',
    },
    {
      part: PART,
      metric: `Job document size: created / read by persist / after the terminal write (bytes, JSON)`,
      value: Math.round(http.documentBytes.created),
      unit: `B / ${Math.round(http.documentBytes.read)} B / ${Math.round(http.documentBytes.replaced)} B`,
    },
  );
  for (const run of [measured.http, measured.queue]) {
    const label = run.via === 'http' ? 'HTTP job' : 'intake-queue job';
    const ruPipeline = estimatedRequestUnitsPerJob(
      run.cosmos.filter((op) => !isFrontDoor(op)),
      jobs,
    );
    const ruFrontDoor = estimatedRequestUnitsPerJob(run.cosmos.filter(isFrontDoor), jobs);
    rows.push(
      {
        part: PART,
        metric: `${label}: estimated RU, job path + authentication/admission`,
        value: round(ruPipeline, 1),
        unit: `RU + ${round(ruFrontDoor, 1)} RU (estimate)`,
      },
      {
        part: PART,
        metric: `${label}: Cosmos ceiling at ${COSMOS_RU_PER_SECOND.toLocaleString('en-US')} RU/s`,
        value: round(COSMOS_RU_PER_SECOND / (ruPipeline + ruFrontDoor), 0),
        unit: 'jobs/s (estimate)',
      },
    );
  }
  return { rows, details: details(http, queue, jobs) };
}

function details(http: CostSummary, queue: CostSummary, jobs: number): string {
  const lines = [
    `### Cost per job: breakdown`,
    '',
    `${jobs} jobs per front door, submitted one at a time after a warm-up job (first-use metadata reads,`,
    `AMQP link attaches and the tenant/budget caches are not per-job costs). Per job:`,
    '',
    '| front door | where | operations per job |',
    '| --- | --- | --- |',
  ];
  for (const summary of [http, queue]) {
    for (const [category, kinds] of Object.entries(summary.byCategory)) {
      const text = Object.entries(kinds)
        .map(([kind, count]) => `${round(count, 2)} ${kind}`)
        .join(', ');
      lines.push(`| ${summary.via} | Cosmos: ${category} | ${text} |`);
    }
    for (const [queueName, kinds] of Object.entries(summary.serviceBusByQueue)) {
      const text = Object.entries(kinds)
        .map(([kind, count]) => `${round(count ?? 0, 2)} ${kind}`)
        .join(', ');
      lines.push(`| ${summary.via} | Service Bus: ${queueName} | ${text} |`);
    }
  }
  lines.push('', 'Queries seen (per job):', '');
  for (const summary of [http, queue])
    for (const [text, count] of Object.entries(summary.queries))
      lines.push(`- ${summary.via}: \`${text}\` x ${round(count, 2)}`);
  lines.push(
    '',
    `RU estimates: point read 1 RU/KB, insert 5.5 RU/KB, replace and patch 2x insert (1 KB minimum), query`,
    `${QUERY_RU_ASSUMED} RU assumed; the in-flight COUNT query's real cost grows with the tenant's queued jobs.`,
  );
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printPart(await runCostBenchmark());
}
