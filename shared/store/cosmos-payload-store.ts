/**
 * Claim-check bodies in the `payloads` container (partition key /id, TTL on): one write to check in,
 * one point read to check out.
 */
import type { Container } from '@azure/cosmos';
import type { PayloadStore } from '../messaging/claim-check.js';

interface PayloadDocument {
  readonly id: string;
  readonly body: unknown;
}

export class CosmosPayloadStore implements PayloadStore {
  constructor(private readonly container: Container) {}

  async put(id: string, body: unknown): Promise<void> {
    // Upsert: a retried send of the same message id rewrites the same body.
    await this.container.items.upsert<PayloadDocument>({ id, body });
  }

  async get(id: string): Promise<unknown> {
    const response = await this.container.item(id, id).read<PayloadDocument>();
    if (!response.resource) throw new Error(`claim-check payload ${id} is missing (expired or never stored)`);
    return response.resource.body;
  }
}
