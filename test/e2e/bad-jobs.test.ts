/**
 * A few bad jobs must never hold the healthy ones. One job in five fails with a 500 on every call (the
 * model simulator's prompt marker), across two tenants; with the stack's default breaker settings the
 * healthy four in five must all finish within a minute, and content-filter jobs submitted among them
 * must fail at once with their reason instead of waiting behind the failing ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { createLogger } from '../../shared/telemetry/logger.js';

const JOBS = 300;
const CONTENT_FILTER_JOBS = 10;
const HEALTHY_WITHIN_MS = 60_000;

type Kind = 'healthy' | 'failing' | 'content_filter';
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

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    logger: createLogger({ level: 'error' }),
    modelLatency: { timeToFirstTokenMs: 150, perTokenMs: 1 },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

function prompt(kind: Kind, index: number): string {
  const text = `Summarise ticket ${index} in one line`;
  if (kind === 'failing') return `${text} [[simulate:http500]]`;
  if (kind === 'content_filter') return `${text} [[simulate:content_filter]]`;
  return text;
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

describe('one job in five failing persistently', () => {
  it('holds none of the healthy jobs of any tenant, nor the content-filter ones', async () => {
    const keys = [stack.apiKey, await stack.addTenant('bad-jobs-other')];
    const plan: Array<{ key: string; kind: Kind; index: number }> = [];
    for (let index = 0; index < JOBS; index += 1) {
      plan.push({ key: keys[index % 2]!, kind: index % 5 === 0 ? 'failing' : 'healthy', index });
    }
    // Content-filter jobs arrive after the failing jobs have started failing.
    for (let index = 0; index < CONTENT_FILTER_JOBS; index += 1) {
      plan.splice(60 + index * 20, 0, { key: keys[index % 2]!, kind: 'content_filter', index: JOBS + index });
    }

    const startedAt = Date.now();
    const jobs: Submitted[] = [];
    await eachLimited(plan, 16, async ({ key, kind, index }) => {
      jobs.push(await submit(key, kind, index));
    });
    const submittedAfterMs = Date.now() - startedAt;

    const watched = jobs.filter((job) => job.kind !== 'failing');
    for (;;) {
      const open = watched.filter((job) => job.status === undefined);
      if (open.length === 0 || Date.now() - startedAt > HEALTHY_WITHIN_MS) break;
      await eachLimited(open, 16, async (job) => {
        const response = await fetch(`${stack.apiUrl}/v1/jobs/${job.id}`, {
          headers: { 'api-key': job.key },
        });
        const body = (await response.json()) as {
          status: string;
          attempts?: number;
          error?: { code: string };
        };
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
    const slowest = (list: Submitted[]) => Math.max(...list.map((job) => job.finishedAfterMs ?? Infinity));
    const summary = {
      submittedAfterMs,
      healthy: healthy.length,
      healthySucceeded: healthy.filter((job) => job.status === 'succeeded').length,
      healthyStillQueued: healthy.filter((job) => job.status === undefined).length,
      lastHealthyAfterMs: slowest(healthy),
      contentFilterFailed: filtered.filter((job) => job.errorCode === 'content_filter').length,
      lastContentFilterAfterMs: slowest(filtered),
      modelRequests: stack.model.stats().deployments['gpt-4o-mini']?.requests,
    };
    console.log(JSON.stringify(summary));

    expect(summary.healthySucceeded).toBe(healthy.length);
    expect(summary.lastHealthyAfterMs).toBeLessThan(HEALTHY_WITHIN_MS);
    expect(filtered.every((job) => job.status === 'failed' && job.errorCode === 'content_filter')).toBe(true);
    expect(filtered.every((job) => job.attempts === 1)).toBe(true);
  }, 120_000);
});
