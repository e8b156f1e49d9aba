/**
 * Every id the platform mints satisfies the schema its edges check it with, so a strict edge can never
 * refuse an id we handed out.
 */
import { describe, expect, it } from 'vitest';
import { generateApiKey, KeyIdSchema } from '../../../shared/auth/api-keys.js';
import { EndpointIdSchema, JobIdSchema, jobIdFor, newEndpointId } from '../../../shared/jobs/ids.js';
import { TenantIdSchema } from '../../../shared/tenancy/tenant.js';
import { webhookIdFor } from '../../../shared/webhooks/events.js';
import { DeliveryIdSchema, deliveryIdFor } from '../../../shared/webhooks/ids.js';

describe('minted ids match their edge schemas', () => {
  it('job, endpoint, delivery and API key ids', () => {
    for (let i = 0; i < 50; i += 1) {
      const jobId = jobIdFor('tenant-a', `key-${i}`);
      expect(JobIdSchema.safeParse(jobId).success).toBe(true);
      const endpointId = newEndpointId();
      expect(EndpointIdSchema.safeParse(endpointId).success).toBe(true);
      const deliveryId = deliveryIdFor(endpointId, webhookIdFor('tenant-a', jobId, 'job.succeeded'));
      expect(DeliveryIdSchema.safeParse(deliveryId).success).toBe(true);
      const { record } = generateApiKey({ tenantId: 'tenant-a', env: 'test', name: 'n', now: new Date() });
      expect(KeyIdSchema.safeParse(record.keyId).success).toBe(true);
    }
  });

  it.each(['/', '\\', '#', '?', ' ', '\t'])('refuses %j in any id', (bad) => {
    const endpointId = newEndpointId();
    for (const [schema, valid] of [
      [JobIdSchema, jobIdFor('t', 'k')],
      [EndpointIdSchema, endpointId],
      [DeliveryIdSchema, deliveryIdFor(endpointId, webhookIdFor('t', 'j', 'job.failed'))],
      [KeyIdSchema, '0'.repeat(24)],
      [TenantIdSchema, 'tenant-a'],
    ] as const) {
      expect(schema.safeParse(valid).success).toBe(true);
      expect(schema.safeParse(`${valid.slice(0, 5)}${bad}${valid.slice(6)}`).success).toBe(false);
      expect(schema.safeParse(`${valid}${bad}`).success).toBe(false);
    }
  });
});
