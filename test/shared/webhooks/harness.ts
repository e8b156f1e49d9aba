/**
 * Test harness for the webhook use cases: the embedded Cosmos DB through the real SDK, the real HTTP client
 * against real node:http receivers on 127.0.0.1, a movable clock, and a scheduler that records scheduled
 * messages instead of publishing them (the Service Bus publisher is the lead's, tested with the emulator).
 */
import { randomBytes } from 'node:crypto';
import { cosmosClientFor } from '../../fakes/embedded-cosmos-client.js';
import {
  ensureCosmosResources,
  startEmbeddedCosmos,
  type EmbeddedCosmos,
} from '../../../local/cosmos/index.js';
import {
  startWebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookReceiver,
} from '../../../local/webhook-receiver/index.js';
import { CosmosWebhookStore } from '../../../shared/cosmos/webhook-store.js';
import type { DeliveryDeps } from '../../../shared/webhooks/deps.js';
import type { DeliveryMessage, DeliveryScheduler } from '../../../shared/webhooks/delivery-message.js';
import type { JobEvent } from '../../../shared/webhooks/events.js';
import { createWebhookHttpClient } from '../../../shared/webhooks/http-client.js';
import { LocalKeyWrapper } from '../../../shared/webhooks/key-wrapper.js';
import { RETRY_SCHEDULE_MS } from '../../../shared/webhooks/retry-schedule.js';
import type { WebhookSettings } from '../../../shared/webhooks/settings.js';
import { parseAllowList, type Resolver, type SsrfPolicy } from '../../../shared/webhooks/ssrf.js';

export interface Harness {
  readonly deps: DeliveryDeps;
  readonly scheduled: { message: DeliveryMessage; attempt: number; delayMs: number }[];
  readonly scheduler: DeliveryScheduler;
  readonly clock: { now: Date; advance(ms: number): void };
  receiver(options?: Omit<WebhookReceiverOptions, 'now' | 'log'>): Promise<WebhookReceiver>;
  /** Deps with another SSRF policy or resolver for the HTTP client (and registration checks). */
  withPolicy(policy: SsrfPolicy, resolve?: Resolver): DeliveryDeps;
  close(): Promise<void>;
}

export const localPolicy: SsrfPolicy = { requireHttps: false, ...parseAllowList('127.0.0.1') };

export async function startHarness(overrides: Partial<WebhookSettings> = {}): Promise<Harness> {
  const cosmos: EmbeddedCosmos = await startEmbeddedCosmos();
  const client = cosmosClientFor(cosmos);
  await ensureCosmosResources(client);
  const store = new CosmosWebhookStore(client.database('prompt-pipeline').container('webhooks'));
  const clock = {
    now: new Date(),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const settings: WebhookSettings = {
    timeoutMs: 400,
    maxResponseBytes: 4096,
    maxInlineBytes: 20 * 1024,
    secretOverlapMs: 24 * 60 * 60 * 1000,
    disableAfterMs: 5 * 24 * 60 * 60 * 1000,
    retryScheduleMs: RETRY_SCHEDULE_MS,
    policy: localPolicy,
    publicBaseUrl: 'http://localhost:7071',
    attemptTtlSeconds: 3600,
    ...overrides,
  };
  const build = (policy: SsrfPolicy, resolve?: Resolver): DeliveryDeps => ({
    store,
    keys: new LocalKeyWrapper(kek),
    settings: { ...settings, policy },
    clock: () => clock.now.getTime(),
    http: createWebhookHttpClient({
      policy,
      timeoutMs: settings.timeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
      ...(resolve ? { resolve } : {}),
    }),
    random: () => 0,
    ...(resolve ? { resolve } : {}),
  });
  const kek = randomBytes(32);
  const receivers: WebhookReceiver[] = [];
  const scheduled: Harness['scheduled'] = [];
  return {
    deps: build(settings.policy),
    scheduled,
    scheduler: {
      schedule(message, attempt, delayMs) {
        scheduled.push({ message, attempt, delayMs });
        return Promise.resolve();
      },
    },
    clock,
    async receiver(options = {}) {
      const receiver = await startWebhookReceiver({
        ...options,
        clock: () => clock.now.getTime(),
        log: () => {},
      });
      receivers.push(receiver);
      return receiver;
    },
    withPolicy: build,
    async close() {
      await Promise.all(receivers.map((r) => r.close()));
      client.dispose();
      await cosmos.close();
    },
  };
}

let jobCounter = 0;

/** A terminal job event as persist emits it (`eventOf` in shared/jobs/events.ts). */
export function jobEvent(tenantId: string, overrides: Partial<JobEvent> = {}): JobEvent {
  jobCounter += 1;
  return {
    type: 'job.succeeded',
    jobId: `job_${randomBytes(6).toString('hex')}_${jobCounter}`,
    tenantId,
    status: 'succeeded',
    occurredAt: '2026-11-25T20:00:00.000Z',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    metadata: { team: 'search' },
    result: { content: 'hello', refusal: null, finishReason: 'stop', model: 'gpt-4o-mini', deployment: 'd1' },
    usage: { promptTokens: 3, completionTokens: 2, cachedTokens: 0, totalTokens: 5, costUsd: 0.00001 },
    ...overrides,
  };
}
