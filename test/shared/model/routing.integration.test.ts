/**
 * The real client (AzureOpenAI SDK over HTTP) against the simulator: failover, breaker, 429 storms.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import { RetryAfterError } from '../../../shared/errors/index.js';
import { createModelClient } from '../../../shared/model/client.js';
import type { ChatRequest } from '../../../shared/jobs/schema.js';
import { context, deployment, modelConfig, silentLogger } from './helpers.js';

const simulators: ModelSimulator[] = [];
afterEach(async () => {
  await Promise.all(simulators.splice(0).map((s) => s.close()));
});
async function simulator(...args: Parameters<typeof startModelSimulator>): Promise<ModelSimulator> {
  const started = await startModelSimulator(...args);
  simulators.push(started);
  return started;
}

const request = (n: number): ChatRequest => ({
  model: 'chat',
  messages: [{ role: 'user', content: `Job number ${n}: write a short note.` }],
  max_tokens: 60,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('routing against the simulator', () => {
  it('fails over to the next deployment at once on 503, in the same call', async () => {
    const sim = await simulator({
      deployments: [
        { name: 'ptu', tpm: 600_000 },
        { name: 'paygo', tpm: 600_000 },
      ],
    });
    sim.setFaults({ rules: [{ kind: 'http503', deployment: 'ptu', count: 1 }] });
    const client = createModelClient(
      modelConfig({
        chat: [
          deployment({ name: 'ptu', endpoint: sim.url, tpm: 600_000, priority: 0 }),
          deployment({ name: 'paygo', endpoint: sim.url, tpm: 600_000, priority: 1 }),
        ],
      }),
      { logger: silentLogger },
    );
    const first = await client.complete(request(1), context());
    expect(first.deployment).toBe('paygo');
    // Priority is respected again once the provisioned deployment is healthy.
    const second = await client.complete(request(2), context());
    expect(second.deployment).toBe('ptu');
  });

  it('fails over on a 429 caused by another client, then routes around the cooling deployment', async () => {
    const sim = await simulator({
      deployments: [
        { name: 'ptu', tpm: 6_000, rpm: 600 },
        { name: 'paygo', tpm: 600_000 },
      ],
      windowMs: 1_000,
    });
    // Someone else spends ptu's window (100 tokens) behind our back.
    const other = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await other.chat.completions.create({
      model: 'ptu',
      messages: [{ role: 'user', content: 'hog' }],
      max_tokens: 90,
    });
    const client = createModelClient(
      modelConfig({
        chat: [
          deployment({ name: 'ptu', endpoint: sim.url, tpm: 6_000, rpm: 600, priority: 0 }),
          deployment({ name: 'paygo', endpoint: sim.url, tpm: 600_000, priority: 1 }),
        ],
      }),
      { logger: silentLogger },
    );
    const first = await client.complete({ ...request(1), max_tokens: 20 }, context());
    expect(first.deployment).toBe('paygo');
    const second = await client.complete({ ...request(2), max_tokens: 20 }, context());
    expect(second.deployment).toBe('paygo');
    // One 429 taught the client: the second call did not knock on ptu again.
    expect(sim.stats().deployments['ptu']).toMatchObject({ throttled: 1, admitted: 1 });
  });

  it('when failures trip the breaker, a failed canary opens it, the deployment is skipped, a good canary closes it', async () => {
    const sim = await simulator({
      deployments: [
        { name: 'a', tpm: 600_000 },
        { name: 'b', tpm: 600_000 },
      ],
    });
    sim.setFaults({ rules: [{ kind: 'http500', deployment: 'a' }] });
    const client = createModelClient(
      modelConfig(
        {
          chat: [
            deployment({ name: 'a', endpoint: sim.url, tpm: 600_000, priority: 0 }),
            deployment({ name: 'b', endpoint: sim.url, tpm: 600_000, priority: 1 }),
          ],
        },
        { breakerFailures: 2, breakerOpenMs: 300 },
      ),
      { logger: silentLogger },
    );
    const breakerOfA = () => client.status().find((s) => s.deployment === 'a')?.breaker;
    expect((await client.complete(request(1), context())).deployment).toBe('b');
    expect((await client.complete(request(2), context())).deployment).toBe('b');
    // Suspect: the next call first sends a canary to a, which fails too.
    expect(breakerOfA()).toBe('half-open');
    const requestsBefore = sim.stats().deployments['a']!.requests;
    expect((await client.complete(request(3), context())).deployment).toBe('b');
    expect(breakerOfA()).toBe('open');
    expect(sim.stats().deployments['a']!.requests).toBe(requestsBefore + 1);
    expect((await client.complete(request(4), context())).deployment).toBe('b');
    expect(sim.stats().deployments['a']!.requests).toBe(requestsBefore + 1);
    sim.setFaults({});
    await sleep(320);
    expect(breakerOfA()).toBe('half-open');
    expect((await client.complete(request(5), context())).deployment).toBe('a');
    expect(breakerOfA()).toBe('closed');
  });

  it('keeps serving every job when only some jobs fail: the canary clears the deployment', async () => {
    const sim = await simulator({ deployments: [{ name: 'a', tpm: 600_000 }] });
    const client = createModelClient(
      modelConfig(
        { chat: [deployment({ name: 'a', endpoint: sim.url, tpm: 600_000 })] },
        { breakerFailures: 3, breakerOpenMs: 60_000 },
      ),
      { logger: silentLogger },
    );
    const bad = (n: number): ChatRequest => ({
      ...request(n),
      messages: [{ role: 'user', content: `Job ${n} [[simulate:http500]]` }],
    });
    // Three fresh jobs fail in a row: the deployment is suspect.
    for (let n = 0; n < 3; n += 1) {
      await expect(client.complete(bad(n), context(`bad-${n}`))).rejects.toMatchObject({
        reason: 'model_http_500',
      });
    }
    expect(client.status()[0]?.breaker).toBe('half-open');
    // The next job's call sends the canary first; the deployment answers it, so the job goes through.
    expect((await client.complete(request(1), context('good-1'))).deployment).toBe('a');
    expect(client.status()[0]?.breaker).toBe('closed');
    // A content-filter job ends at once, and counts as an answer, not a failure.
    const filtered = {
      ...request(2),
      messages: [{ role: 'user' as const, content: '[[simulate:content_filter]]' }],
    };
    await expect(client.complete(filtered, context('filtered'))).rejects.toMatchObject({
      reason: 'content_filter',
    });
    // Quarantined: the bad jobs, now on retries, fail as often as they like without tripping it again.
    for (let n = 0; n < 20; n += 1) {
      await expect(client.complete(bad(n % 3), context(`bad-${n % 3}`, 1 + n))).rejects.toMatchObject({
        reason: 'model_http_500',
      });
    }
    expect(client.status()[0]).toMatchObject({ breaker: 'closed', recentFailures: 0 });
    expect((await client.complete(request(3), context('good-2'))).deployment).toBe('a');
  });

  it('says how long until the circuit lets calls through when every deployment is open', async () => {
    const sim = await simulator({ deployments: [{ name: 'a', tpm: 600_000 }] });
    sim.setFaults({ rules: [{ kind: 'http500', deployment: 'a' }] });
    const client = createModelClient(
      modelConfig(
        { chat: [deployment({ name: 'a', endpoint: sim.url, tpm: 600_000 })] },
        {
          breakerFailures: 1,
          breakerOpenMs: 5_000,
        },
      ),
      { logger: silentLogger },
    );
    await expect(client.complete(request(1), context())).rejects.toMatchObject({ reason: 'model_http_500' });
    const error = await client.complete(request(2), context()).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'model_circuit_open' });
    expect((error as RetryAfterError).retryAfterMs).toBeGreaterThan(4_000);
  });

  it('survives a 429 storm: 20 concurrent jobs at 7x the quota all finish with almost no 429s', async () => {
    // 30,000 TPM over 500 ms windows = 250 tokens/window; each job costs ~17 prompt + 60 max_tokens.
    const sim = await simulator({ deployments: [{ name: 'd', tpm: 30_000, rpm: 3_000 }], windowMs: 500 });
    const client = createModelClient(
      modelConfig({
        chat: [deployment({ name: 'd', endpoint: sim.url, tpm: 30_000, rpm: 3_000, windowMs: 500 })],
      }),
      { logger: silentLogger },
    );
    // A warm instance: the very first call of a process can reach the service hundreds of ms after it was
    // sent (SDK start-up, new connection), longer than the pacer's expiry margin. See docs/model-layer.md.
    await client.complete(request(-1), context());
    // The invoke stage's behaviour in miniature: a RetryAfterError becomes a delayed retry, never a failure.
    const runJob = async (n: number): Promise<number> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await client.complete(request(n), { ...context(`job-${n}`), attempt });
          return attempt;
        } catch (error) {
          if (!(error instanceof RetryAfterError)) throw error;
          await sleep(error.retryAfterMs);
        }
      }
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => runJob(n)));
    expect(results).toHaveLength(20);
    const totals = sim.stats().totals;
    expect(totals.succeeded).toBe(21);
    expect(totals.throttled / totals.requests).toBeLessThanOrEqual(0.05);
  });

  it('keeps pacing when the service omits or blanks the rate-limit headers', async () => {
    const sim = await simulator({
      deployments: [{ name: 'd', tpm: 12_000, rpm: 1_200 }],
      windowMs: 500,
      faults: { rateLimitHeaders: 'minus-one' },
    });
    const client = createModelClient(
      modelConfig({
        chat: [deployment({ name: 'd', endpoint: sim.url, tpm: 12_000, rpm: 1_200, windowMs: 500 })],
      }),
      { logger: silentLogger },
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, n) => client.complete(request(n), context())),
    );
    const paced = outcomes.filter(
      (o) => o.status === 'rejected' && (o.reason as RetryAfterError).reason === 'quota_paced',
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(paced).toHaveLength(5);
    expect(sim.stats().totals.throttled).toBe(0);
  });
});
