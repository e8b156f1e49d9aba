/**
 * Fleet-wide pacing end to end: model clients (separate instances, each with its own Cosmos client)
 * share one simulated deployment through leases in the embedded Cosmos DB, with no configured share.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../../local/model-simulator/index.js';
import type { ChatRequest } from '../../../../shared/jobs/schema.js';
import { createModelClient, type RoutedModelClient } from '../../../../shared/model/client.js';
import type { QuotaLeaseStore } from '../../../../shared/model/coordination/lease-store.js';
import { startCosmosFleet, type CosmosFleet } from '../../../fakes/embedded-cosmos-fleet.js';
import { context, deployment, jobRunner, modelConfig, silentLogger, sleep } from '../helpers.js';

let cosmos: CosmosFleet;
let sim: ModelSimulator | undefined;
const modelClients: RoutedModelClient[] = [];

beforeAll(async () => {
  cosmos = await startCosmosFleet();
});
afterEach(async () => {
  for (const client of modelClients.splice(0)) client.close();
  await sim?.close();
  sim = undefined;
});
afterAll(() => cosmos.close());

const request = (n: number): ChatRequest => ({
  model: 'chat',
  messages: [{ role: 'user', content: `Fleet job ${n}: write a short note.` }],
  max_tokens: 60,
});
const runJobs = jobRunner(request);

const WINDOW_MS = 2_000;
// 500 tokens per window; a job costs ~19 prompt + 60 max_tokens, so about 6 jobs fit a window.
const TPM = (500 * 60_000) / WINDOW_MS;

async function startDeployment(): Promise<ModelSimulator> {
  sim = await startModelSimulator({
    deployments: [{ name: 'd', tpm: TPM, rpm: 60_000 }],
    windowMs: WINDOW_MS,
  });
  return sim;
}

function instance(
  simulator: ModelSimulator,
  store: QuotaLeaseStore,
  deploymentName: string,
): RoutedModelClient {
  const config = modelConfig(
    {
      chat: [
        deployment({
          name: deploymentName,
          deployment: 'd',
          endpoint: simulator.url,
          tpm: TPM,
          rpm: 60_000,
          windowMs: WINDOW_MS,
        }),
      ],
    },
    { coordination: { renewMs: 100, fallbackShare: 0.2 } },
  );
  const client = createModelClient(config, { logger: silentLogger, quotaLeases: store });
  modelClients.push(client);
  return client;
}

/** The statistics of a store that never got through to Cosmos DB. */
const noStoreStats: QuotaLeaseStore['stats'] = () => ({
  reads: 0,
  writes: 0,
  conflicts: 0,
  failures: 0,
  requestCharge: 0,
  bytesRead: 0,
  bytesWritten: 0,
});

describe('model clients sharing a deployment through quota leases', () => {
  it('keeps three instances under the quota with no configured share, one of them joining late', async () => {
    const simulator = await startDeployment();
    const name = `fleet-${Date.now()}`;
    const [a, b, c] = [0, 1, 2].map(() => instance(simulator, cosmos.leaseStore(), name));
    const early = Promise.all([runJobs(a!, 0, 10), runJobs(b!, 100, 10)]);
    await sleep(WINDOW_MS);
    await Promise.all([early, runJobs(c!, 200, 10)]);
    const totals = simulator.stats().totals;
    expect(totals.succeeded).toBe(30);
    // Without coordination and share 1, about half of the first window's calls are 429s
    // (multi-instance.integration.test.ts); with leases only the odd call whose arrival lagged its send.
    expect(totals.throttled / totals.requests).toBeLessThanOrEqual(0.1);
    const shares = [a, b, c].map((client) => client!.status()[0]!.fleet!);
    expect(shares.every((s) => s.degraded === false)).toBe(true);
    expect(shares.reduce((sum, s) => sum + s.share, 0)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('never fails a job when the store is down: it paces to the fallback share', async () => {
    const simulator = await startDeployment();
    const down: QuotaLeaseStore = {
      read: () => Promise.reject(Object.assign(new Error('store unavailable'), { code: 503 })),
      create: () => Promise.reject(new Error('unreachable')),
      replace: () => Promise.reject(new Error('unreachable')),
      stats: noStoreStats,
    };
    const client = instance(simulator, down, `outage-${Date.now()}`);
    const started = Date.now();
    await runJobs(client, 0, 4);
    const status = client.status()[0]!;
    expect(status.fleet?.degraded).toBe(true);
    expect(status.share).toBe(0.2);
    expect(simulator.stats().totals.succeeded).toBe(4);
    // A fifth of 500 tokens per 2 s window is one ~79-token job per window: four jobs need three more windows.
    expect(Date.now() - started).toBeGreaterThan(WINDOW_MS * 2);
  });

  it('does not wait on a store that never answers: the first call goes on at the fallback share', async () => {
    const simulator = await startDeployment();
    const hung: QuotaLeaseStore = {
      read: () => new Promise(() => undefined),
      create: () => new Promise(() => undefined),
      replace: () => new Promise(() => undefined),
      stats: noStoreStats,
    };
    const client = instance(simulator, hung, `hung-${Date.now()}`);
    const started = Date.now();
    await client.complete(request(1), context('hung-1'));
    // The join waits ten renewal intervals (1 s here), then the call is made at the fallback share.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(client.status()[0]!.fleet?.degraded).toBe(true);
    expect(client.status()[0]!.share).toBe(0.2);
  });

  it('keeps one budget and one lease for a deployment that several aliases route to', async () => {
    const simulator = await startDeployment();
    const name = `shared-${Date.now()}`;
    const target = deployment({
      name,
      deployment: 'd',
      endpoint: simulator.url,
      tpm: TPM,
      rpm: 60_000,
      windowMs: WINDOW_MS,
    });
    const store = cosmos.leaseStore();
    const client = createModelClient(
      modelConfig(
        { chat: [target], summary: [target] },
        { coordination: { renewMs: 100, fallbackShare: 0.2 } },
      ),
      { logger: silentLogger, quotaLeases: store },
    );
    modelClients.push(client);
    await client.complete(request(1), context('alias-1'));
    await client.complete({ ...request(2), model: 'summary' }, context('alias-2'));
    const [chat, summary] = client.status();
    // Both calls are in the one budget the deployment's quota is paced by, whichever alias sent them.
    expect(chat!.usedTokens).toBe(summary!.usedTokens);
    expect(chat!.usedRequests).toBe(2);
    // One lease entry for the instance, not one per alias.
    const lease = await store.read(name);
    expect(Object.keys(lease!.document.members)).toHaveLength(1);
  });
});
