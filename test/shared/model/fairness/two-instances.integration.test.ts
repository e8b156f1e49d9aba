/**
 * A tenant's token limit across two model clients (two host instances, each with its own Cosmos client)
 * that share one simulated deployment through quota leases in the embedded Cosmos DB: each instance
 * enforces its leased part of the limit, so together they stay within it, while another tenant's jobs
 * on the same instances are not held back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../../local/model-simulator/index.js';
import { RetryAfterError } from '../../../../shared/errors/index.js';
import type { ChatRequest } from '../../../../shared/jobs/schema.js';
import { createModelClient, type RoutedModelClient } from '../../../../shared/model/client.js';
import { TENANT_PACED_REASON } from '../../../../shared/model/reasons.js';
import { quotaCost } from '../../../../shared/model/tokens.js';
import { startCosmosFleet, type CosmosFleet } from '../../../fakes/embedded-cosmos-fleet.js';
import { deployment, modelConfig, silentLogger } from '../helpers.js';

let cosmos: CosmosFleet;
let sim: ModelSimulator;
const modelClients: RoutedModelClient[] = [];

const WINDOW_MS = 2_000;
// 1,500 tokens per window; a job costs ~20 prompt + 60 max_tokens.
const TPM = (1_500 * 60_000) / WINDOW_MS;
// The capped tenant may use a third of the deployment.
const LIMIT_TPM = TPM / 3;

beforeAll(async () => {
  cosmos = await startCosmosFleet();
  sim = await startModelSimulator({
    deployments: [{ name: 'd', tpm: TPM, rpm: 60_000 }],
    windowMs: WINDOW_MS,
  });
});
afterAll(async () => {
  for (const client of modelClients) client.close();
  await sim.close();
  await cosmos.close();
});

function instance(): RoutedModelClient {
  const config = modelConfig(
    {
      chat: [
        deployment({
          name: 'fair-d',
          deployment: 'd',
          endpoint: sim.url,
          tpm: TPM,
          rpm: 60_000,
          windowMs: WINDOW_MS,
        }),
      ],
    },
    { coordination: { renewMs: 100, fallbackShare: 0.2 } },
  );
  const client = createModelClient(config, { logger: silentLogger, quotaLeases: cosmos.leaseStore() });
  modelClients.push(client);
  return client;
}

const request = (n: number): ChatRequest => ({
  model: 'chat',
  messages: [{ role: 'user', content: `Job ${n}: write a short note.` }],
  max_tokens: 60,
});

interface Done {
  readonly tenantId: string;
  readonly tokens: number;
  readonly startedAt: number;
  readonly calledAt: number;
}

/** The invoke stage in miniature: a RetryAfterError reschedules the job after its delay. */
async function runJobs(
  client: RoutedModelClient,
  tenantId: string,
  first: number,
  count: number,
  reasons: string[],
): Promise<Done[]> {
  const tokensPerMinute = tenantId === 'capped' ? LIMIT_TPM : undefined;
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const startedAt = Date.now();
      for (;;) {
        const calledAt = Date.now();
        try {
          await client.complete(request(first + i), {
            jobId: `${tenantId}-${first + i}`,
            tenantId,
            attempt: 0,
            scheduling: { priority: 'standard', weight: 1, ...(tokensPerMinute ? { tokensPerMinute } : {}) },
          });
          return { tenantId, tokens: quotaCost(request(first + i), 60), startedAt, calledAt };
        } catch (error) {
          if (!(error instanceof RetryAfterError)) throw error;
          reasons.push(error.reason);
          await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
        }
      }
    }),
  );
}

describe('tenant token limits across two instances', () => {
  it('two instances together keep a tenant within its limit; the other tenant is not held back', async () => {
    const [a, b] = [instance(), instance()];
    const reasons: string[] = [];
    // A steady fleet: both instances hold leases and have seen each other (an instance that has not yet
    // seen the other enforces the whole limit for a renewal or two: docs/model-layer.md).
    await Promise.all([runJobs(a, 'warm', 900, 1, reasons), runJobs(b, 'warm', 901, 1, reasons)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    const results = (
      await Promise.all([
        runJobs(a, 'capped', 0, 12, reasons),
        runJobs(b, 'capped', 100, 12, reasons),
        runJobs(a, 'free', 200, 4, reasons),
        runJobs(b, 'free', 300, 4, reasons),
      ])
    ).flat();
    const capped = results.filter((r) => r.tenantId === 'capped');
    const limitPerWindow = (LIMIT_TPM * WINDOW_MS) / 60_000;
    // Every window-long span of call starts holds at most the limit (a charge falls between the start of
    // the call that made it and its answer, so each is counted at its start; the span allows for that).
    for (const r of capped) {
      const inWindow = capped.filter((o) => o.calledAt >= r.calledAt && o.calledAt < r.calledAt + WINDOW_MS);
      expect(inWindow.reduce((sum, o) => sum + o.tokens, 0)).toBeLessThanOrEqual(limitPerWindow * 1.1);
    }
    expect(reasons).toContain(TENANT_PACED_REASON);
    // 24 capped jobs at the limit's rate need several windows; the free tenant's 8 are done long before.
    const lastCapped = Math.max(...capped.map((r) => r.calledAt));
    const lastFree = Math.max(...results.filter((r) => r.tenantId === 'free').map((r) => r.calledAt));
    expect(lastCapped - started).toBeGreaterThan(3 * WINDOW_MS);
    expect(lastFree).toBeLessThan(lastCapped);
  }, 90_000);
});
