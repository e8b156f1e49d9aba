/**
 * API keys in the Cosmos `tenants` container (partition key /id). Each key is its own document with
 * id `apikey:<keyId>`, so verification is ONE point read (id + partition key, ~1 RU) and one key's
 * traffic never contends with another's. Only the hash is stored (see api-keys.ts).
 */
import type { Container, ItemDefinition } from '@azure/cosmos';
import { ConflictError } from '../errors/index.js';
import type { ApiKeyRecord } from '../auth/api-keys.js';
import type { ApiKeyStore } from '../auth/api-key-store.js';

const documentId = (keyId: string): string => `apikey:${keyId}`;

interface ApiKeyDocument extends ApiKeyRecord {
  readonly id: string;
  readonly type: 'apiKey';
}

function toApiKeyDocument(record: ApiKeyRecord): ApiKeyDocument {
  return { id: documentId(record.keyId), type: 'apiKey', ...record };
}

function fromApiKeyDocument(document: ItemDefinition): ApiKeyRecord {
  const d = document as ApiKeyDocument;
  return {
    keyId: d.keyId,
    tenantId: d.tenantId,
    env: d.env,
    prefix: d.prefix,
    name: d.name,
    hash: d.hash,
    hashScheme: d.hashScheme,
    createdAt: d.createdAt,
    ...(d.revokedAt ? { revokedAt: d.revokedAt } : {}),
  };
}

const statusOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
    ? (error as { code: number }).code
    : undefined;

export class CosmosApiKeyStore implements ApiKeyStore {
  constructor(private readonly container: Container) {}

  async get(keyId: string): Promise<ApiKeyRecord | undefined> {
    const id = documentId(keyId);
    const { resource, statusCode } = await this.container.item(id, id).read<ApiKeyDocument>();
    if (statusCode === 404 || !resource || resource.type !== 'apiKey') return undefined;
    return fromApiKeyDocument(resource);
  }

  async create(record: ApiKeyRecord): Promise<void> {
    try {
      await this.container.items.create(toApiKeyDocument(record));
    } catch (error) {
      if (statusOf(error) === 409) throw new ConflictError('API key id already exists.');
      throw error;
    }
  }

  async revoke(keyId: string, at: Date): Promise<ApiKeyRecord | undefined> {
    const id = documentId(keyId);
    // Read, then replace guarded by ETag: a concurrent revoke makes the replace fail with 412, and
    // re-reading shows the key already revoked, so revocation is idempotent and keeps the first time.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { resource, etag, statusCode } = await this.container.item(id, id).read<ApiKeyDocument>();
      if (statusCode === 404 || !resource || resource.type !== 'apiKey') return undefined;
      const current = fromApiKeyDocument(resource);
      if (current.revokedAt) return current;
      const revoked: ApiKeyRecord = { ...current, revokedAt: at.toISOString() };
      try {
        await this.container
          .item(id, id)
          .replace(toApiKeyDocument(revoked), { accessCondition: { type: 'IfMatch', condition: etag } });
        return revoked;
      } catch (error) {
        if (statusOf(error) !== 412) throw error;
      }
    }
    throw new ConflictError('The key changed concurrently; try again.');
  }

  async listByTenant(tenantId: string): Promise<ApiKeyRecord[]> {
    // Cross-partition by design (partition key is the document id); admin-only and rare.
    const { resources } = await this.container.items
      .query<ApiKeyDocument>({
        query: 'SELECT * FROM c WHERE c.type = @type AND c.tenantId = @tenantId',
        parameters: [
          { name: '@type', value: 'apiKey' },
          { name: '@tenantId', value: tenantId },
        ],
      })
      .fetchAll();
    return resources.map(fromApiKeyDocument).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
