/**
 * A few bad jobs must never hold the healthy ones. Jobs fail on every call through the model
 * simulator's prompt markers (`[[simulate:http500]]`), across two tenants, with the stack's default
 * breaker settings: the healthy jobs must all finish within a minute, and content-filter jobs submitted
 * among them must fail at once with their reason instead of waiting behind the failing ones.
 */
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { useLocalStack } from '../fakes/local-stack.js';

const HEALTHY_WITHIN_MS = 60_000;

type Kind = 'healthy' | 'content_filter' | 'http500' | 'http503' | 'reset';
interface Submitted {
  readonly id: string;
  readonly key: string;
  readonly kind: Kind;
  status?: string;
  finishedAfterMs?: number;
  attempts?: number;
  errorCode?: string;
}

let stack: LocalStack;

useLocalStack(
  {
    modelLatency: { timeToFirstTokenMs: 150, perTokenMs: 1 },
  },
  (started) => {
    stack = started;
  },
);

function prompt(kind: Kind, index: number): string {
  const text = `Summarise ticket ${index} in one line`;
  return kind === 'healthy' ? text : `${text} [[simulate:${kind}]]`;
}

async function submit(key: string, kind: Kind, index: number): Promise<Submitted> {
  const response = await fetch(`${stack.apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt(kind, index) }],
      max_tokens: 32,
    }),
  });
  expect(response.status).toBe(202);
  return { id: ((await response.json()) as { id: string }).id, key, kind };
}

/** Runs `work` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

interface Planned {
  readonly key: string;
  readonly kind: Kind;
  readonly index: number;
}

/** Submits the plan (16 at a time, as producers would), then polls the jobs that must end, for up to a minute. */
async function run(plan: readonly Planned[]) {
  const startedAt = Date.now();
  const requestsBefore = stack.model.stats().deployments['gpt-4o-mini']?.requests ?? 0;
  const jobs: Submitted[] = [];
  await eachLimited(plan, 16, async ({ key, kind, index }) => {
    jobs.push(await submit(key, kind, index));
  });
  const submittedAfterMs = Date.now() - startedAt;

  const watched = jobs.filter((job) => job.kind === 'healthy' || job.kind === 'content_filter');
  for (;;) {
    const open = watched.filter((job) => job.status === undefined);
    if (open.length === 0 || Date.now() - startedAt > HEALTHY_WITHIN_MS) break;
    await eachLimited(open, 16, async (job) => {
      const response = await fetch(`${stack.apiUrl}/v1/jobs/${job.id}`, { headers: { 'api-key': job.key } });
      const body = (await response.json()) as { status: string; attempts?: number; error?: { code: string } };
      if (body.status === 'succeeded' || body.status === 'failed') {
        job.status = body.status;
        job.finishedAfterMs = Date.now() - startedAt;
        if (body.attempts !== undefined) job.attempts = body.attempts;
        if (body.error) job.errorCode = body.error.code;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const healthy = watched.filter((job) => job.kind === 'healthy');
  const filtered = watched.filter((job) => job.kind === 'content_filter');
  const slowest = (list: Submitted[]) => Math.max(0, ...list.map((job) => job.finishedAfterMs ?? Infinity));
  const summary = {
    jobs: jobs.length,
    submittedAfterMs,
    healthy: healthy.length,
    healthySucceeded: healthy.filter((job) => job.status === 'succeeded').length,
    healthyStillQueued: healthy.filter((job) => job.status === undefined).length,
    lastHealthyAfterMs: slowest(healthy),
    contentFilter: filtered.length,
    contentFilterFailedAtOnce: filtered.filter(
      (job) => job.errorCode === 'content_filter' && job.attempts === 1,
    ).length,
    lastContentFilterAfterMs: slowest(filtered),
    modelRequests: (stack.model.stats().deployments['gpt-4o-mini']?.requests ?? 0) - requestsBefore,
  };
  // The figures docs/model-layer.md quotes.
  console.log(JSON.stringify(summary));
  expect(summary.healthySucceeded).toBe(summary.healthy);
  expect(summary.lastHealthyAfterMs).toBeLessThan(HEALTHY_WITHIN_MS);
  expect(summary.contentFilterFailedAtOnce).toBe(summary.contentFilter);
  return summary;
}

describe('bad jobs beside healthy ones', () => {
  it('one job in five failing persistently holds none of the healthy jobs of any tenant', async () => {
    const keys = [stack.apiKey, await stack.addTenant('bad-jobs-other')];
    const plan: Planned[] = [];
    for (let index = 0; index < 300; index += 1) {
      plan.push({ key: keys[index % 2]!, kind: index % 5 === 0 ? 'http500' : 'healthy', index });
    }
    // Content-filter jobs arrive after the failing jobs have started failing.
    for (let n = 0; n < 10; n += 1) {
      plan.splice(60 + n * 20, 0, { key: keys[n % 2]!, kind: 'content_filter', index: 300 + n });
    }
    await run(plan);
  }, 120_000);

  it('with most jobs failing, content-filter and healthy jobs still end at once', async () => {
    const keys = [stack.apiKey, await stack.addTenant('bad-jobs-third')];
    const kinds: Kind[] = ['http500', 'http503', 'content_filter', 'reset', 'http500', 'healthy'];
    const plan: Planned[] = Array.from({ length: 180 }, (_, index) => ({
      key: keys[index % 2]!,
      kind: kinds[index % kinds.length]!,
      index: 1_000 + index,
    }));
    await run(plan);
  }, 120_000);
});
