/**
 * In-memory `webhookEndpoints` port: the endpoints each tenant owns and whether they are enabled.
 */
import type { EndpointStanding, WebhookEndpointCheck } from '../../shared/webhooks/endpoint-check.js';

export class MemoryEndpointCheck implements WebhookEndpointCheck {
  private readonly endpoints = new Map<string, boolean>();

  /** Registers (or re-enables / disables) `endpointId` as one of `tenantId`'s endpoints. */
  set(tenantId: string, endpointId: string, enabled = true): this {
    this.endpoints.set(`${tenantId}\0${endpointId}`, enabled);
    return this;
  }

  standing(tenantId: string, endpointId: string): Promise<EndpointStanding> {
    const enabled = this.endpoints.get(`${tenantId}\0${endpointId}`);
    return Promise.resolve(enabled === undefined ? 'unknown' : enabled ? 'enabled' : 'disabled');
  }
}
