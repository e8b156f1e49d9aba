/**
 * Cost regression guard for jobs routed to Global Batch: the Cosmos DB operations routing adds to a job
 * beyond the single-job path (whose job document and kept completion are asserted in
 * operation-counts.test.ts and are the same here: the sweep keeps the answer as invoke would). The real
 * SDK is counted (bench/instrument/cosmos-counter.ts) while lines are parked by the invoke stage's router
 * and swept through the model simulator's Global Batch protocol, against the embedded Cosmos DB.
 *
 * Per job: one create (parking), one upsert in a bulk request (grouping), one point read and one delete
 * (settling). Per provider batch: two group upserts (`forming`, `submitted`) and one delete. Per sweep:
 * a query for the deployment's groups and one for its pending lines, plus one COUNT per running group
 * (its lines not cancelled); per provider batch two more (its lines at submit and at settle).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentCosmos, type CosmosOperation } from '../../bench/instrument/cosmos-counter.js';
import { startModelSimulator, type ModelSimulator } from '../../local/model-simulator/index.js';
import { azureGlobalBatch } from '../../shared/capacity/azure-global-batch.js';
import { routedElsewhere } from '../../shared/capacity/route.js';
import { sweepCapacity } from '../../shared/capacity/sweep.js';
import { CosmosCapacityStore } from '../../shared/cosmos/capacity-store.js';
import { GlobalBatchDeploymentSchema } from '../../shared/model/settings.js';
import { newTrace } from '../../shared/telemetry/trace-context.js';
import { startTestDatabase, type TestDatabase } from '../fakes/embedded-cosmos-database.js';
import { acceptedInvokeMessage } from '../fakes/job-fixtures.js';
import { fakeStage } from '../fakes/stage-deps.js';

const JOBS = 6;

let db: TestDatabase;
let simulator: ModelSimulator;
let operations: readonly CosmosOperation[] = [];
let sweeps = 0;

beforeAll(async () => {
  db = await startTestDatabase();
  simulator = await startModelSimulator({
    apiKey: 'k',
    deployments: [
      { name: 'rt', model: 'gpt-4o-mini', tpm: 60_000 },
      { name: 'gb', model: 'gpt-4o-mini', tpm: 1, sku: 'GlobalBatch', enqueuedTokens: 1_000_000 },
    ],
    globalBatch: { validatingMs: 20, processingMs: 50, finalizingMs: 20 },
  });
  const store = new CosmosCapacityStore(db.database.container('batches'));
  const target = GlobalBatchDeploymentSchema.parse({
    name: 'gb',
    kind: 'globalBatch',
    endpoint: simulator.url,
    auth: 'apiKey',
    enqueuedTokens: 1_000_000,
    turnaroundSeconds: 600,
  });
  const stage = fakeStage();
  stage.now = Date.now();
  const messages = [];
  for (let i = 0; i < JOBS; i += 1) {
    messages.push(
      await acceptedInvokeMessage(stage, {
        messages: [{ role: 'user', content: `line ${i}` }],
        expires_after: 86_400,
      }),
    );
  }
  // Warm-up outside the count: the SDK's first metadata reads of the container.
  await store.groups('gb');

  const counter = instrumentCosmos();
  try {
    const capacity = {
      store,
      settings: { nearDeadlineMs: 60_000, backgroundRetryMs: 1_000 },
      batchDeploymentsOf: () => [target],
      realtimeIdle: () => false,
    };
    for (const message of messages) {
      expect(await routedElsewhere({ ...stage, capacity }, message, newTrace(), stage.now)).toBe(true);
    }
    const deps = {
      stage,
      store,
      deployments: [target],
      providerFor: () =>
        azureGlobalBatch(target, { apiKey: 'k' }, { apiVersion: '2024-10-21', timeoutMs: 10_000 }),
      settings: { maxLinesPerFile: 100, nearDeadlineMs: 60_000, defaultMaxTokens: 64 },
    };
    for (let i = 0; i < 200 && stage.publisher.on('postprocess').length < JOBS; i += 1) {
      stage.now = Date.now();
      sweeps += 1;
      await sweepCapacity(deps);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(stage.publisher.on('postprocess')).toHaveLength(JOBS);
    operations = counter.operations();
  } finally {
    counter.restore();
  }
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  await db?.close();
});

/** Billed operations: a bulk request of n operations is n. */
function billed(ops: readonly CosmosOperation[]): number {
  return ops.reduce((sum, op) => sum + (op.kind === 'bulk' ? Number.parseInt(op.target, 10) : 1), 0);
}

const onLines = (kind: CosmosOperation['kind']) =>
  operations.filter((op) => op.kind === kind && op.target.startsWith('job_'));
const onGroups = (kind: CosmosOperation['kind']) =>
  operations.filter((op) => op.kind === kind && op.target.startsWith('group-'));

describe('Cosmos DB per job routed to Global Batch, beyond the single-job path', () => {
  it('costs four operations per job: park, group (bulk), read and delete when settled', () => {
    expect(operations.every((op) => op.container === 'batches')).toBe(true);
    expect(onLines('create')).toHaveLength(JOBS);
    expect(billed(operations.filter((op) => op.kind === 'bulk'))).toBe(JOBS);
    expect(onLines('pointRead')).toHaveLength(JOBS);
    expect(onLines('delete')).toHaveLength(JOBS);
    expect(operations.every((op) => op.status < 300)).toBe(true);
  });

  it('costs three group writes per provider batch (one batch for these jobs)', () => {
    expect(simulator.batchStats().created).toBe(1);
    expect(onGroups('upsert')).toHaveLength(2);
    expect(onGroups('delete')).toHaveLength(1);
  });

  it('queries per sweep, not per job: groups, pending, and a COUNT while the provider batch runs', () => {
    const queries = operations.filter((op) => op.kind === 'query');
    // Each sweep: its groups and its pending lines, and a COUNT of a running group's open lines; the
    // provider batch: its lines at submit and at settle. None of it grows with the jobs in the batch.
    const counts = queries.filter((op) => op.target.includes('COUNT(1)'));
    expect(counts.length).toBeGreaterThanOrEqual(1);
    expect(counts.length).toBeLessThanOrEqual(sweeps);
    expect(queries.length).toBeLessThanOrEqual(3 * sweeps + 2);
    const total = billed(operations);
    console.info(
      `batch routing: ${total} Cosmos DB operations for ${JOBS} jobs in one provider batch over ${sweeps} sweeps ` +
        `(${4 * JOBS} per-job writes and reads, 3 group writes, ${queries.length} queries)`,
    );
  });
});
