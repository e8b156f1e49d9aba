/**
 * The deliver stage's message handling: fan-out becomes one message per endpoint; a failed attempt becomes
 * a scheduled message (attempt + 1) with its own message id, never a sleep. Real Cosmos and receivers; the
 * publisher is the in-memory fake that records what the Service Bus publisher would send.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../fakes/memory-logger.js';
import {
  DeliverQueueBodySchema,
  runDeliverStage,
  type DeliverStageDeps,
} from '../../../shared/pipeline/deliver.js';
import { registerEndpoint } from '../../../shared/webhooks/endpoints.js';
import { MemoryPublisher } from '../../fakes/memory-publisher.js';
import { jobEvent, startHarness, type Harness } from '../webhooks/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('deliver stage', () => {
  it('fans a job event out, then schedules the retry of a failed attempt 5 s later', async () => {
    const tenantId = `tenant_${randomUUID().slice(0, 8)}`;
    const publisher = new MemoryPublisher();
    const deps: DeliverStageDeps = { ...h.deps, publisher, logger: createMemoryLogger() };
    const failing = await h.receiver({ respond: () => ({ status: 500 }) });
    const healthy = await h.receiver();
    const a = await registerEndpoint(deps, tenantId, { url: failing.url });
    const b = await registerEndpoint(deps, tenantId, { url: healthy.url });
    const event = jobEvent(tenantId);

    const fanOut = DeliverQueueBodySchema.parse({ kind: 'deliver', attempt: 0, event });
    expect(await runDeliverStage(deps, fanOut, traceparent)).toEqual({ kind: 'fannedOut', deliveries: 2 });
    const perEndpoint = publisher.on('deliver');
    expect(perEndpoint.map((m) => m.messageId).sort()).toEqual(
      [`${event.jobId}:deliver:${a.endpoint.id}:1`, `${event.jobId}:deliver:${b.endpoint.id}:1`].sort(),
    );
    expect(perEndpoint.every((m) => m.scheduledAt === undefined)).toBe(true);
    expect(String(perEndpoint[0]!.applicationProperties.traceparent)).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-/,
    );

    publisher.sent.length = 0;
    for (const message of perEndpoint) {
      await runDeliverStage(deps, DeliverQueueBodySchema.parse(message.body), traceparent);
    }
    expect(healthy.received).toHaveLength(1);
    expect(failing.received).toHaveLength(1);
    const [retry] = publisher.on('deliver');
    expect(publisher.sent).toHaveLength(1);
    expect(retry!.messageId).toBe(`${event.jobId}:deliver:${a.endpoint.id}:2`);
    expect(retry!.scheduledAt?.getTime()).toBe(h.clock.now.getTime() + 5000);
    expect(retry!.body).toMatchObject({ kind: 'webhook.delivery', attempt: 2, endpointId: a.endpoint.id });
  });

  it('an event naming an unusable endpoint id ("ep/x") ends cleanly with a warning, not a crash loop', async () => {
    const tenantId = `tenant_${randomUUID().slice(0, 8)}`;
    const publisher = new MemoryPublisher();
    const logger = createMemoryLogger();
    const deps: DeliverStageDeps = { ...h.deps, publisher, logger };
    for (const body of [
      { kind: 'deliver', attempt: 0, event: jobEvent(tenantId, { webhookEndpointId: 'ep/x' }) },
      { kind: 'deliver', attempt: 0, endpointId: 'ep/x', event: jobEvent(tenantId) },
    ]) {
      // Throwing here would abandon the message: ten deliveries, then a dead letter, for a job long finished.
      const result = await runDeliverStage(deps, DeliverQueueBodySchema.parse(body), traceparent);
      expect(result).toEqual({ kind: 'fannedOut', deliveries: 0 });
    }
    expect(publisher.sent).toHaveLength(0);
    const warnings = logger.lines.filter((l) => l.event === 'webhook.endpoint_unusable');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: 'warn', tenantId, endpointId: 'ep/x' });
  });

  it('a per-endpoint delivery with a malformed endpoint id does not match the schema (dead-lettered once)', () => {
    const delivery = {
      kind: 'webhook.delivery',
      tenantId: 't1',
      endpointId: 'ep/x',
      deliveryId: `ep/x:evt_${'0'.repeat(32)}`,
      webhookId: `evt_${'0'.repeat(32)}`,
      jobId: `job_${'0'.repeat(32)}`,
      eventType: 'job.succeeded',
      payload: '{}',
      attempt: 1,
    };
    expect(DeliverQueueBodySchema.safeParse(delivery).success).toBe(false);
    const endpointId = `ep_${'0'.repeat(32)}`;
    const valid = { ...delivery, endpointId, deliveryId: `${endpointId}:evt_${'0'.repeat(32)}` };
    expect(DeliverQueueBodySchema.safeParse(valid).success).toBe(true);
  });

  it('rejects a body that is neither a job event nor a delivery', () => {
    expect(DeliverQueueBodySchema.safeParse({ kind: 'webhook.delivery', tenantId: 't' }).success).toBe(false);
  });
});

describe('dev receiver for npm start', () => {
  it('registers itself for the tenant and verifies what it receives', async () => {
    const { startDevWebhookReceiver } = await import('../../../local/webhook-receiver/dev.js');
    const { planDeliveries, processDelivery } = await import('../../../shared/webhooks/delivery.js');
    const tenantId = `tenant_${randomUUID().slice(0, 8)}`;
    const lines: string[] = [];
    const dev = await startDevWebhookReceiver({ deps: h.deps, tenantId, log: (line) => lines.push(line) });
    try {
      const [message] = await planDeliveries(h.deps, jobEvent(tenantId));
      expect(message!.endpointId).toBe(dev.endpointId);
      // The receiver verifies against the real clock; the harness clock started at the real time.
      expect(await processDelivery(h.deps, h.scheduler, message!, 1)).toEqual({ kind: 'delivered' });
      expect(dev.receiver.received[0]!.webhookId).toBe(message!.webhookId);
      expect(lines[0]).toMatch(/job.succeeded .* \(signature verified\)$/);
    } finally {
      await dev.receiver.close();
    }
  });
});
