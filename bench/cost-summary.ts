/**
 * Per-job figures from a counted run (bench/cost-measure.ts): Cosmos DB operations by kind and by where
 * they belong, Service Bus operations by kind and queue, delivery counts and document sizes.
 */
import type { CosmosOperation } from './instrument/cosmos-counter.js';
import { WRITE_KINDS } from './instrument/cosmos-counter.js';
import type { ServiceBusOperation, ServiceBusOperationKind } from './instrument/servicebus-counter.js';
import { cosmosCategory, isFrontDoor, type CostRun } from './cost-measure.js';

/**
 * The stage queues a job of the measured tenant passes, in order; `intake` only for jobs that arrive over
 * Service Bus. No `deliver`: persist sends there only when the tenant has a webhook endpoint subscribed to
 * the event (shared/pipeline/emit-event.ts), and the benchmark tenant has none.
 */
export const STAGE_QUEUES = ['intake', 'invoke', 'postprocess', 'persist'] as const;

/** The hops one job makes through the front door it came in by: 3 over HTTP, 4 over the intake queue. */
export function stageHops(via: CostRun['via']): readonly (typeof STAGE_QUEUES)[number][] {
  return STAGE_QUEUES.filter((queue) => via === 'queue' || queue !== 'intake');
}

export interface CosmosCounts {
  readonly creates: number;
  readonly replaces: number;
  readonly patches: number;
  readonly upserts: number;
  readonly deletes: number;
  readonly writes: number;
  readonly pointReads: number;
  readonly queries: number;
  /** Sum of x-ms-request-charge as reported by the client (embedded server: 1 per request, not RU). */
  readonly reportedCharge: number;
  readonly requests: number;
}

export interface CostSummary {
  readonly via: CostRun['via'];
  readonly jobs: number;
  readonly succeeded: number;
  /** Per job: everything but the HTTP front door (job document, delivery, claim checks). */
  readonly pipeline: CosmosCounts;
  /** Per request: API key, tenant record, rate limit, limit queries (HTTP only). */
  readonly frontDoor: CosmosCounts;
  /** Per job, by category (operations of each kind). */
  readonly byCategory: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Per job, by queue: sends, receives, completes... */
  readonly serviceBusByQueue: Readonly<
    Record<string, Readonly<Partial<Record<ServiceBusOperationKind, number>>>>
  >;
  readonly serviceBusTotals: Readonly<Partial<Record<ServiceBusOperationKind, number>>>;
  readonly receives: number;
  readonly firstDeliveries: number;
  /**
   * Bytes (means) of the job document as created, as read by persist (none: persist patches without
   * reading), and of the terminal write (the document a replace sent or a patch produced).
   */
  readonly documentBytes: { readonly created: number; readonly read: number; readonly replaced: number };
  /** The distinct queries seen, with how many times each ran per job. */
  readonly queries: Readonly<Record<string, number>>;
}

function countsOf(operations: readonly CosmosOperation[], n: number): CosmosCounts {
  const count = (predicate: (op: CosmosOperation) => boolean) => operations.filter(predicate).length / n;
  return {
    creates: count((op) => op.kind === 'create'),
    replaces: count((op) => op.kind === 'replace'),
    patches: count((op) => op.kind === 'patch'),
    upserts: count((op) => op.kind === 'upsert'),
    deletes: count((op) => op.kind === 'delete'),
    writes: count((op) => WRITE_KINDS.has(op.kind)),
    pointReads: count((op) => op.kind === 'pointRead'),
    queries: count((op) => op.kind === 'query'),
    reportedCharge: operations.reduce((total, op) => total + op.requestCharge, 0) / n,
    requests: operations.length / n,
  };
}

const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/** Totals are counted as integers and divided once, so 20 of 20 reads as exactly 1 per job. */
function perJob(groups: Record<string, Record<string, number | undefined>>, n: number): void {
  for (const group of Object.values(groups))
    for (const [key, value] of Object.entries(group)) group[key] = (value ?? 0) / n;
}

export function summarizeCost(run: CostRun): CostSummary {
  const n = run.jobs;
  const byCategory: Record<string, Record<string, number>> = {};
  for (const op of run.cosmos) {
    const category = (byCategory[cosmosCategory(op)] ??= {});
    category[op.kind] = (category[op.kind] ?? 0) + 1;
  }
  perJob(byCategory, n);
  const serviceBusByQueue: Record<string, Partial<Record<ServiceBusOperationKind, number>>> = {};
  const serviceBusTotals: Partial<Record<ServiceBusOperationKind, number>> = {};
  for (const op of run.serviceBus) {
    const queue = (serviceBusByQueue[op.queue || '(namespace)'] ??= {});
    queue[op.kind] = (queue[op.kind] ?? 0) + op.messages;
    serviceBusTotals[op.kind] = (serviceBusTotals[op.kind] ?? 0) + (op.kind === 'admin' ? 1 : op.messages);
  }
  perJob(serviceBusByQueue, n);
  perJob({ all: serviceBusTotals }, n);
  const receives = run.serviceBus.filter((op: ServiceBusOperation) => op.kind === 'receive');
  const jobOps = run.cosmos.filter((op) => cosmosCategory(op) === 'job document');
  const queries: Record<string, number> = {};
  for (const op of run.cosmos.filter((o) => o.kind === 'query')) {
    const text = `${op.container}: ${op.target.replace(/\s+/g, ' ').slice(0, 90)}`;
    queries[text] = (queries[text] ?? 0) + 1;
  }
  perJob({ all: queries }, n);
  return {
    via: run.via,
    jobs: n,
    succeeded: run.finished.filter((job) => job.status === 'succeeded').length,
    pipeline: countsOf(
      run.cosmos.filter((op) => !isFrontDoor(op)),
      n,
    ),
    frontDoor: countsOf(run.cosmos.filter(isFrontDoor), n),
    byCategory,
    serviceBusByQueue,
    serviceBusTotals,
    receives: receives.length,
    firstDeliveries: receives.filter((op) => (op.deliveryCount ?? 0) === 0).length,
    documentBytes: {
      created: mean(jobOps.filter((op) => op.kind === 'create').map((op) => op.documentBytes)),
      read: mean(jobOps.filter((op) => op.kind === 'pointRead').map((op) => op.documentBytes)),
      replaced: mean(
        jobOps.filter((op) => op.kind === 'replace' || op.kind === 'patch').map((op) => op.documentBytes),
      ),
    },
    queries,
  };
}
