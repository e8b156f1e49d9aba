import { afterEach, describe, expect, it } from 'vitest';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { startModelSimulator, type ModelSimulator } from '../../../local/model-simulator/index.js';
import { ConfigurationError, PermanentError, RetryAfterError } from '../../../shared/errors/index.js';
import { COGNITIVE_SERVICES_SCOPE } from '../../../shared/model/credentials.js';
import { QUOTA_PACED_REASON, createModelClient } from '../../../shared/model/client.js';
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

const request = (content = 'Hello there', extra: Record<string, unknown> = {}) => ({
  model: 'chat',
  messages: [{ role: 'user' as const, content }],
  max_tokens: 32,
  ...extra,
});

describe('createModelClient against the simulator', () => {
  it('completes through AzureOpenAI with an API key and reports usage and deployment', async () => {
    const sim = await simulator({
      apiKey: 'test-key',
      deployments: [{ name: 'gpt-4o-mini', model: 'gpt-4o-mini-2024-07-18', tpm: 60_000 }],
    });
    const client = createModelClient(
      modelConfig({ chat: [deployment({ name: 'primary', endpoint: sim.url, deployment: 'gpt-4o-mini' })] }),
      { logger: silentLogger },
    );
    const completion = await client.complete(request('Hello there', { max_tokens: 100 }), context());
    expect(completion.content).toMatch(/^\[simulated\]/);
    expect(completion.deployment).toBe('primary');
    expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
    expect(completion.usage.promptTokens).toBeGreaterThan(0);
    expect(completion.finishReason).toBe('stop');
  });

  it('uses the Entra ID token provider with the Cognitive Services scope', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: (scope): Promise<AccessToken> => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return Promise.resolve({ token: 'entra-token-1', expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    const sim = await simulator({
      acceptBearerTokens: ['entra-token-1'],
      deployments: [{ name: 'gpt-4o-mini', tpm: 60_000 }],
    });
    const client = createModelClient(
      modelConfig({
        chat: [deployment({ name: 'primary', endpoint: sim.url, deployment: 'gpt-4o-mini', auth: 'entra' })],
      }),
      { credential, logger: silentLogger },
    );
    await client.complete(request(), context());
    expect(scopes).toContain(COGNITIVE_SERVICES_SCOPE);
    expect(sim.stats().authorizations).toEqual(['entra-token-1']);
  });

  it('maps a rejected Entra token to ConfigurationError', async () => {
    const credential: TokenCredential = {
      getToken: () => Promise.resolve({ token: 'wrong-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const sim = await simulator({
      acceptBearerTokens: ['right-token'],
      deployments: [{ name: 'gpt-4o-mini', tpm: 60_000 }],
    });
    const errors: string[] = [];
    const client = createModelClient(
      modelConfig({
        chat: [deployment({ name: 'primary', endpoint: sim.url, deployment: 'gpt-4o-mini', auth: 'entra' })],
      }),
      { credential, logger: { warn: () => undefined, error: (message) => errors.push(message) } },
    );
    await expect(client.complete(request(), context())).rejects.toBeInstanceOf(ConfigurationError);
    expect(errors).toHaveLength(1);
  });

  it('maps content filter, context length and unknown models to PermanentError with reasons', async () => {
    const sim = await simulator({ deployments: [{ name: 'd', tpm: 600_000, contextWindow: 100 }] });
    const client = createModelClient(
      modelConfig({ chat: [deployment({ name: 'd', endpoint: sim.url, tpm: 600_000 })] }),
      {
        logger: silentLogger,
      },
    );
    await expect(client.complete(request('x [[simulate:content_filter]]'), context())).rejects.toMatchObject({
      constructor: PermanentError,
      reason: 'content_filter',
    });
    await expect(client.complete(request('x', { max_tokens: 200 }), context())).rejects.toMatchObject({
      reason: 'context_length_exceeded',
    });
    await expect(client.complete({ ...request(), model: 'nope' }, context())).rejects.toMatchObject({
      reason: 'unknown_model',
    });
    expect(client.aliases()).toEqual(['chat']);
  });

  it('maps 5xx, resets and timeouts to RetryAfterError', async () => {
    const sim = await simulator({ deployments: [{ name: 'd', tpm: 600_000 }] });
    const client = createModelClient(
      modelConfig(
        { chat: [deployment({ name: 'd', endpoint: sim.url, tpm: 600_000 })] },
        // A high breaker threshold: this test is about classification, not about the circuit opening.
        { timeoutMs: 200, breakerFailures: 10 },
      ),
      { logger: silentLogger },
    );
    for (const [kind, reason] of [
      ['http500', 'model_http_500'],
      ['http503', 'model_http_503'],
      ['reset', 'model_connection_failed'],
      ['hang', 'model_timeout'],
    ] as const) {
      sim.setFaults({ rules: [{ kind, count: 1 }] });
      let unanswered = 0;
      const call = { ...context(), onUnanswered: () => (unanswered += 1) };
      const error = await client.complete(request(), call).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryAfterError);
      expect(error).toMatchObject({ reason });
      expect((error as RetryAfterError).retryAfterMs).toBeGreaterThan(0);
      // Only a call given up on after it was sent may have been answered, and charged, unseen.
      expect({ kind, unanswered }).toEqual({ kind, unanswered: kind === 'hang' ? 1 : 0 });
    }
  });

  it('paces instead of calling when the quota is spent, with the time until it is free', async () => {
    // 3,000 TPM over 1 s windows = 50 tokens per window: one request of ~40 tokens fits, a second does not.
    const sim = await simulator({ deployments: [{ name: 'd', tpm: 3_000, rpm: 600 }], windowMs: 1_000 });
    const client = createModelClient(
      modelConfig({
        chat: [deployment({ name: 'd', endpoint: sim.url, tpm: 3_000, rpm: 600, windowMs: 1_000 })],
      }),
      { logger: silentLogger },
    );
    await client.complete(request('hi', { max_tokens: 30 }), context());
    const paced = await client
      .complete(request('hi', { max_tokens: 30 }), context())
      .catch((e: unknown) => e);
    expect(paced).toBeInstanceOf(RetryAfterError);
    expect(paced).toMatchObject({ reason: QUOTA_PACED_REASON });
    expect((paced as RetryAfterError).retryAfterMs).toBeGreaterThan(800);
    expect((paced as RetryAfterError).retryAfterMs).toBeLessThanOrEqual(1_100);
    // The second call never reached the service, so it never saw a 429.
    expect(sim.stats().totals).toMatchObject({ requests: 1, throttled: 0 });
  });
});

describe('OpenAI-compatible servers', () => {
  it('calls any baseURL with the model in the body (Ollama, vLLM, llama.cpp style)', async () => {
    const sim = await simulator({
      apiKey: 'local-key',
      deployments: [{ name: 'llama3.1:8b', tpm: 600_000 }],
    });
    const client = createModelClient(
      modelConfig(
        {
          chat: [
            deployment({
              name: 'ollama',
              kind: 'openai',
              endpoint: `${sim.url}/v1`,
              deployment: 'llama3.1:8b',
              tpm: 600_000,
            }),
          ],
        },
        { apiKey: 'local-key' },
      ),
      { logger: silentLogger },
    );
    const completion = await client.complete(request('Hello there', { max_tokens: 100 }), context());
    expect(completion).toMatchObject({ deployment: 'ollama', model: 'llama3.1:8b' });
    expect(sim.stats().deployments['llama3.1:8b']!.succeeded).toBe(1);
  });
});

describe('send-time stamping', () => {
  it('charges the quota from when the request left, after a slow Entra token', async () => {
    const credential: TokenCredential = {
      getToken: async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { token: 'slow-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const sim = await simulator({
      acceptBearerTokens: ['slow-token'],
      deployments: [{ name: 'd', tpm: 6_000, rpm: 600 }],
      windowMs: 1_000,
    });
    const client = createModelClient(
      modelConfig({
        chat: [deployment({ name: 'd', endpoint: sim.url, auth: 'entra', tpm: 6_000, rpm: 600 })],
      }),
      { credential, logger: silentLogger },
    );
    const started = Date.now();
    await client.complete(request('hi', { max_tokens: 80 }), context());
    // The window (100 tokens) is full; it frees about 1 s after the request left, not after it was reserved.
    const paced = (await client
      .complete(request('hi', { max_tokens: 80 }), context())
      .catch((e: unknown) => e)) as RetryAfterError;
    expect(paced.reason).toBe(QUOTA_PACED_REASON);
    expect(Date.now() + paced.retryAfterMs - started).toBeGreaterThanOrEqual(1_300);
    expect(sim.stats().totals.throttled).toBe(0);
  });
});
