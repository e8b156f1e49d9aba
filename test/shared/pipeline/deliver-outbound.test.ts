import { describe, expect, it } from 'vitest';
import { deliverMessageId, toDeliverOutbound } from '../../../shared/pipeline/deliver-outbound.js';
import { deliverMessage } from '../../../shared/pipeline/outbound.js';
import { toDeliveryOutbound } from '../../../shared/pipeline/deliver.js';
import { newTrace } from '../../../shared/telemetry/trace-context.js';
import type { JobEvent } from '../../../shared/jobs/events.js';

const job = 'job_0123456789abcdef0123456789abcdef';
const endpoint = 'ep_0123456789abcdef0123456789abcdef';
const base = { jobId: job, tenantId: 't1', eventType: 'job.succeeded' };

const event: JobEvent = {
  type: 'job.succeeded',
  jobId: job,
  tenantId: 't1',
  status: 'succeeded',
  occurredAt: '2025-01-01T00:00:00.000Z',
  traceId: '0'.repeat(32),
  metadata: {},
};

const delivery = {
  kind: 'webhook.delivery' as const,
  tenantId: 't1',
  endpointId: endpoint,
  deliveryId: 'dlv_1',
  webhookId: 'evt_1',
  jobId: job,
  eventType: 'job.succeeded' as const,
  payload: '{}',
  replay: 0,
};

describe('deliver message ids: <job>:deliver[:<endpoint>[:r<replay>]]:<attempt>', () => {
  it('names a fan-out by job and attempt only', () => {
    expect(deliverMessageId({ ...base, attempt: 0 })).toBe(`${job}:deliver:0`);
  });

  it("names one endpoint's attempt, and a replay apart from the original", () => {
    expect(deliverMessageId({ ...base, endpointId: endpoint, attempt: 2 })).toBe(
      `${job}:deliver:${endpoint}:2`,
    );
    expect(deliverMessageId({ ...base, endpointId: endpoint, replay: 0, attempt: 1 })).toBe(
      `${job}:deliver:${endpoint}:1`,
    );
    expect(deliverMessageId({ ...base, endpointId: endpoint, replay: 3, attempt: 1 })).toBe(
      `${job}:deliver:${endpoint}:r3:1`,
    );
  });

  it('gives the fan-out and the per-endpoint attempts different ids and the same properties', () => {
    const trace = newTrace();
    const fanOut = deliverMessage({ kind: 'deliver', attempt: 0, event }, trace);
    const first = toDeliveryOutbound(delivery, 1, trace);
    expect(fanOut.messageId).toBe(`${job}:deliver:0`);
    expect(first.messageId).toBe(`${job}:deliver:${endpoint}:1`);
    expect(fanOut).toMatchObject({ queue: 'deliver', correlationId: job });
    expect(first).toMatchObject({ queue: 'deliver', correlationId: job, body: { ...delivery, attempt: 1 } });
    expect(fanOut.applicationProperties).toMatchObject({
      jobId: job,
      tenantId: 't1',
      eventType: 'job.succeeded',
      attempt: 0,
    });
    expect(fanOut.applicationProperties).not.toHaveProperty('endpointId');
    expect(first.applicationProperties).toMatchObject({ jobId: job, endpointId: endpoint, attempt: 1 });
    expect(first.applicationProperties['traceparent']).toMatch(new RegExp(`^00-${trace.traceId}-`));
  });

  it('names a fan-out aimed at one endpoint by that endpoint', () => {
    const aimed = deliverMessage({ kind: 'deliver', attempt: 0, event, endpointId: endpoint }, newTrace());
    expect(aimed.messageId).toBe(`${job}:deliver:${endpoint}:0`);
    expect(toDeliverOutbound({ ...base, attempt: 0 }, {}, newTrace()).body).toEqual({});
  });
});
