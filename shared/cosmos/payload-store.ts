/**
 * Claim-check bodies in the `payloads` container (partition key /id, TTL on): one write to check in,
 * one point read to check out.
 */
import type { Container } from '@azure/cosmos';
import type { PayloadStore } from '../messaging/claim-check.js';
import { createWithoutContent } from './items.js';

interface PayloadDocument {
  readonly id: string;
  readonly body: unknown;
}

export class CosmosPayloadStore implements PayloadStore {
  constructor(private readonly container: Container) {}

  async put(id: string, body: unknown): Promise<void> {
    // The id is the message id (<job>:<stage>:<attempt>), whose body is the same on every send: a
    // retried send that finds it stored (409) has nothing to write.
    const { statusCode } = await createWithoutContent(this.container, { id, body }, id);
    if (statusCode >= 300 && statusCode !== 409) {
      throw new Error(`claim-check payload ${id} was not stored (Cosmos DB status ${statusCode})`);
    }
  }

  async get(id: string): Promise<unknown> {
    const response = await this.container.item(id, id).read<PayloadDocument>();
    if (!response.resource) throw new Error(`claim-check payload ${id} is missing (expired or never stored)`);
    return response.resource.body;
  }
}
