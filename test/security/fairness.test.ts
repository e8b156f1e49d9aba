/**
 * Fairness under a flood, end to end on the whole local stack (dev host, Service Bus emulator,
 * embedded Cosmos DB, model simulator with latency). Tenant A fires 120 submissions at once; tenant B
 * then submits 5 jobs. What keeps B's wait bounded is admission, not a fair scheduler: the stage
 * queues are FIFO, so B waits behind whatever A got admitted, and A's admissions are capped by its
 * token bucket (capacity = submissionsPerMinute, exact across instances thanks to ETags) and by
 * maxJobsInFlight. The stated bound, with C = maxConcurrentCalls and L = one job's model time:
 *
 *   B's latency  <=  B's latency alone  +  ceil(A_admitted / C) * L,   A_admitted <= submissionsPerMinute
 *
 * The test measures B alone, B during A's flood, and (for contrast) B behind an unlimited tenant.
 */
import { expect, test } from 'vitest';
import type { Principal } from '../../shared/auth/principal.js';
import { updateTenant } from '../../shared/tenancy/admin.js';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';

const CONCURRENCY = 4;
const MODEL_MS = 200;
const A_BUCKET = 10;
const FLOOD = 120;

let stack: LocalStack;
const admin: Principal = { tenantId: 'platform-ops', kind: 'entra', roles: ['admin'] };

async function submit(key: string, content: string): Promise<Response> {
  return fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 16 }),
  });
}

async function finished(key: string, jobId: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${stack.apiUrl}/v1/jobs/${jobId}`, { headers: { 'api-key': key } });
    const job = (await response.json()) as { status: string };
    if (job.status !== 'queued') {
      expect(job.status).toBe('succeeded');
      return Date.now();
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} still queued after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Submits `count` jobs for B and returns each one's latency from submission to `succeeded`. */
async function runB(key: string, count: number): Promise<number[]> {
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await submit(key, `b-${i}-${started}`);
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    }),
  );
  const done = await Promise.all(ids.map((id) => finished(key, id)));
  return done.map((at) => at - started);
}

async function flood(
  key: string,
  count: number,
): Promise<{ admitted: string[]; refused: number; retryAfter: string[] }> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) => submit(key, `flood-${i}-${Date.now()}`)),
  );
  const admitted: string[] = [];
  const retryAfter: string[] = [];
  let refused = 0;
  for (const response of responses) {
    if (response.status === 202) admitted.push(((await response.json()) as { id: string }).id);
    else {
      expect(response.status).toBe(429);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      retryAfter.push(response.headers.get('retry-after') ?? '');
      refused += 1;
      await response.body?.cancel();
    }
  }
  return { admitted, refused, retryAfter };
}

useLocalStack(
  {
    maxConcurrentCalls: CONCURRENCY,
    modelLatency: { timeToFirstTokenMs: MODEL_MS, perTokenMs: 0 },
  },
  (started) => {
    stack = started;
  },
);

test('a flooding tenant is held to its admission share and the other tenant finishes within the bound', async () => {
  const keyA = await stack.addTenant('flood-a');
  const keyB = await stack.addTenant('steady-b');
  const keyU = await stack.addTenant('unlimited-u');
  const security = stack.services.security;
  // Before their first submission, so the gate's tenant cache has not seen the dev defaults.
  await updateTenant(
    admin,
    'flood-a',
    { quotas: { submissionsPerMinute: A_BUCKET, maxJobsInFlight: A_BUCKET } },
    security.admin,
  );

  // Warm-up (first connections, receivers), then the baseline: B alone on a quiet platform.
  await runB(keyB, 2);
  const alone = await runB(keyB, 5);

  // A floods; B submits right behind it.
  const a = await flood(keyA, FLOOD);
  const during = await runB(keyB, 5);
  await Promise.all(a.admitted.map((id) => finished(keyA, id)));

  // Contrast: the same flood from a tenant with the dev stack's (effectively unlimited) quotas.
  const u = await flood(keyU, FLOOD);
  const behindUnlimited = await runB(keyB, 5);
  await Promise.all(u.admitted.map((id) => finished(keyU, id)));

  const worst = (values: number[]) => Math.max(...values);
  const bound = worst(alone) + Math.ceil(a.admitted.length / CONCURRENCY) * (MODEL_MS * 3) + 2_000;
  console.info('fairness', {
    concurrency: CONCURRENCY,
    modelMs: MODEL_MS,
    aAdmitted: a.admitted.length,
    aRefused: a.refused,
    aRetryAfterSeconds: [...new Set(a.retryAfter)],
    bAloneMs: alone,
    bDuringFloodMs: during,
    boundMs: bound,
    uAdmitted: u.admitted.length,
    bBehindUnlimitedMs: behindUnlimited,
  });

  // The bucket is exact: A gets at most its capacity (plus refill during the burst), the rest are 429.
  expect(a.admitted.length).toBeLessThanOrEqual(A_BUCKET + 1);
  expect(a.refused).toBeGreaterThanOrEqual(FLOOD - A_BUCKET - 1);
  expect(a.retryAfter.every((value) => Number(value) >= 1)).toBe(true);
  // B finishes within the stated bound while A floods.
  expect(worst(during)).toBeLessThanOrEqual(bound);
  // Without the limit the same flood would have delayed B far more: the bound is the limit's doing.
  expect(u.admitted.length).toBe(FLOOD);
  expect(worst(behindUnlimited)).toBeGreaterThan(worst(during));
}, 180_000);
