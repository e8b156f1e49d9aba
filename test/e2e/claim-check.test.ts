/**
 * A job whose invoke message is far over Service Bus's 256 KB (and over Cosmos DB's 2 MB document
 * ceiling, where claim-check bodies were kept before), through the whole local stack: submitted over
 * HTTP, its body checked in to Blob Storage (Azurite), checked out by the invoke stage, answered by the
 * model simulator, and `succeeded`. The prompt's size reaches the model whole: the simulator counts its
 * tokens from what it received.
 *
 * What this does not show: the job document (Cosmos DB) still holds the request. The embedded Cosmos DB
 * does not enforce Azure's 2 MB document ceiling, so in Azure this job's create would be refused before
 * any claim check; a request over ~2 MB needs the job document to hold it by reference too.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_CHECK_CONTAINER } from '../../shared/blob/payload-store.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    logger: createLogger({ level: 'error' }),
    modelLatency: { timeToFirstTokenMs: 5, perTokenMs: 0 },
    // A prompt of this size is over any real context window; the simulated one is widened so the test
    // is about carrying the body, not about the model refusing it.
    deployments: [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini', tpm: 100_000_000, contextWindow: 10_000_000 }],
    emulatorThreads: true,
    // The API's body cap (1 MB by default) and the tenant's request limit (at most 4 MB) are raised for
    // this job, as an operator can for a tenant that sends large documents.
    env: { HTTP_MAX_BODY_BYTES: String(4 * 1024 * 1024) },
  });
  const tenants = stack.services.security.tenants;
  const stored = (await tenants.get(stack.tenantId))!;
  await tenants.replace(
    { ...stored.tenant, quotas: { ...stored.tenant.quotas, maxRequestBytes: 4 * 1024 * 1024 } },
    stored.etag,
  );
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

interface JobView {
  readonly status: string;
  readonly usage?: { readonly promptTokens: number };
  readonly error?: unknown;
}

async function view(id: string): Promise<JobView> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs/${id}`, { headers: { 'api-key': stack.apiKey } });
  return (await response.json()) as JobView;
}

describe('a claim-checked job above 2 MB', () => {
  it('is carried through Blob Storage and succeeds', async () => {
    // 3 MB of words, under the dev host's 4 MB body cap.
    const content = 'lorem ipsum dolor sit amet '.repeat(115_000);
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content }],
      max_tokens: 8,
    });
    expect(body.length).toBeGreaterThan(3_000_000);
    const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { 'api-key': stack.apiKey, 'content-type': 'application/json', 'idempotency-key': 'big-3mb' },
      body,
    });
    expect(response.status, await response.clone().text()).toBe(202);
    const { id } = (await response.json()) as { id: string };

    const deadline = Date.now() + 90_000;
    let job = await view(id);
    while (job.status === 'queued' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = await view(id);
    }
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    // 5 words of ~1 token each, 115,000 times: the model saw the whole prompt, not a reference to it.
    expect(job.usage?.promptTokens).toBeGreaterThan(500_000);

    const blob = BlobServiceClient.fromConnectionString(stack.storage.connectionString)
      .getContainerClient(CLAIM_CHECK_CONTAINER)
      .getBlockBlobClient(`${id}:invoke:0`);
    expect((await blob.getProperties()).contentLength).toBeGreaterThan(3_000_000);
  }, 120_000);
});
