/**
 * API keys: format, what is stored, verification outcomes, and the authenticate() front door that
 * routes each header shape to the right verifier.
 */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { InMemoryApiKeyStore } from '../../shared/auth/api-key-store.js';
import {
  API_KEY_PATTERN,
  apiKeyEnvLabel,
  createApiKeyVerifier,
  generateApiKey,
  parseApiKey,
} from '../../shared/auth/api-keys.js';
import { createAuthenticator } from '../../shared/auth/authenticate.js';
import type { EntraVerifier } from '../../shared/auth/entra.js';
import { UnauthorizedError } from '../../shared/errors/index.js';

const NOW = new Date('2026-11-25T20:00:00Z');

async function issue(store: InMemoryApiKeyStore, tenantId = 'team-a', pepper?: string) {
  const issued = generateApiKey({
    tenantId,
    env: 'test',
    name: 'ci',
    now: NOW,
    ...(pepper ? { pepper } : {}),
  });
  await store.create(issued.record);
  return issued;
}

describe('key format and storage', () => {
  test('pp_<env>_<keyId>_<secret> with a 256-bit secret; the prefix names the key', () => {
    const { key, record } = generateApiKey({ tenantId: 'team-a', env: 'live', name: 'ci', now: NOW });
    expect(key).toMatch(API_KEY_PATTERN);
    const parsed = parseApiKey(key)!;
    expect(parsed.env).toBe('live');
    expect(parsed.keyId).toBe(record.keyId);
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32);
    expect(record.prefix).toBe(`pp_live_${record.keyId}`);
    expect(key.startsWith(`${record.prefix}_`)).toBe(true);
  });

  test('keys are unique', () => {
    const keys = new Set(
      Array.from(
        { length: 200 },
        () => generateApiKey({ tenantId: 't1', env: 'test', name: 'n', now: NOW }).key,
      ),
    );
    expect(keys.size).toBe(200);
  });

  test('only a hash is stored: the secret appears nowhere in the store', async () => {
    const store = new InMemoryApiKeyStore();
    const { key } = await issue(store);
    const { secret, keyId } = parseApiKey(key)!;
    const stored = JSON.stringify(store.dump());
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(key);
    expect(store.dump()[0]).toMatchObject({
      hashScheme: 'sha256',
      hash: createHash('sha256').update(`${keyId}.${secret}`).digest('base64url'),
    });
  });

  test('with a pepper the stored hash is an HMAC that plain SHA-256 cannot reproduce', async () => {
    const store = new InMemoryApiKeyStore();
    const pepper = 'p'.repeat(40);
    const { key } = await issue(store, 'team-a', pepper);
    const { secret, keyId } = parseApiKey(key)!;
    const record = store.dump()[0]!;
    expect(record.hashScheme).toBe('hmac-sha256');
    expect(record.hash).not.toBe(createHash('sha256').update(`${keyId}.${secret}`).digest('base64url'));
    await expect(
      createApiKeyVerifier({ store, expectedEnv: 'test', pepper }).verify(key),
    ).resolves.toMatchObject({ tenantId: 'team-a' });
    // Without the pepper the same key cannot be verified: the database alone is not enough.
    await expect(createApiKeyVerifier({ store, expectedEnv: 'test' }).verify(key)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  test('env labels: live in Azure, test locally', () => {
    expect(apiKeyEnvLabel('azure')).toBe('live');
    expect(apiKeyEnvLabel('local')).toBe('test');
  });
});

describe('verification', () => {
  test('a valid key yields the tenant principal with its key id', async () => {
    const store = new InMemoryApiKeyStore();
    const { key, record } = await issue(store);
    const principal = await createApiKeyVerifier({ store, expectedEnv: 'test' }).verify(key);
    expect(principal).toEqual({ tenantId: 'team-a', kind: 'apiKey', roles: ['jobs'], keyId: record.keyId });
  });

  test('lookup is by the key id in the prefix: one read, no scan', async () => {
    const store = new InMemoryApiKeyStore();
    const reads: string[] = [];
    const { key, record } = await issue(store);
    await issue(store, 'team-b');
    const counting = { get: (id: string) => (reads.push(id), store.get(id)) };
    await createApiKeyVerifier({ store: counting, expectedEnv: 'test' }).verify(key);
    expect(reads).toEqual([record.keyId]);
  });

  test('revoked, wrong secret, unknown id, wrong env and malformed keys are all the same 401', async () => {
    const store = new InMemoryApiKeyStore();
    const verifier = createApiKeyVerifier({ store, expectedEnv: 'test' });
    const { key, record } = await issue(store);
    const other = await issue(store, 'team-b');
    const { keyId, secret } = parseApiKey(key)!;
    const candidates = [
      `pp_test_${keyId}_${parseApiKey(other.key)!.secret}`, // another key's secret under this id
      `pp_test_${'0'.repeat(24)}_${secret}`, // unknown id
      `pp_live_${keyId}_${secret}`, // minted for another environment
      `pp_test_${keyId}_${secret}x`, // malformed
      'pp_test_', // malformed
    ];
    for (const candidate of candidates) {
      const error = await verifier.verify(candidate).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as UnauthorizedError).detail).toBe('The API key is invalid or revoked.');
    }
    await verifier.verify(key);
    await store.revoke(record.keyId, NOW);
    await expect(verifier.verify(key)).rejects.toBeInstanceOf(UnauthorizedError);
    // The other tenant's key is untouched by this revocation.
    await expect(verifier.verify(other.key)).resolves.toMatchObject({ tenantId: 'team-b' });
  });
});

describe('authenticate(headers)', () => {
  const entraCalls: string[] = [];
  const entra: EntraVerifier = {
    verify: (token) => {
      entraCalls.push(token);
      return Promise.resolve({ tenantId: 'team-e', kind: 'entra', roles: ['jobs'] });
    },
  };

  async function setup() {
    const store = new InMemoryApiKeyStore();
    const { key } = await issue(store);
    const authenticator = createAuthenticator({
      apiKeys: createApiKeyVerifier({ store, expectedEnv: 'test' }),
      entra,
    });
    return { key, authenticator };
  }

  test('api-key header, Bearer pp_ key and Bearer JWT each reach the right verifier', async () => {
    const { key, authenticator } = await setup();
    await expect(authenticator.authenticate(new Headers({ 'api-key': key }))).resolves.toMatchObject({
      kind: 'apiKey',
    });
    await expect(
      authenticator.authenticate(new Headers({ authorization: `Bearer ${key}` })),
    ).resolves.toMatchObject({ kind: 'apiKey' });
    await expect(
      authenticator.authenticate(new Headers({ authorization: 'bearer eyJ.x.y' })),
    ).resolves.toMatchObject({ kind: 'entra' });
    expect(entraCalls).toEqual(['eyJ.x.y']);
  });

  test('missing, malformed, doubled or oversized credentials are 401', async () => {
    const { key, authenticator } = await setup();
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer a b' },
      { authorization: `Bearer ${key}`, 'api-key': key },
      { authorization: `Bearer ${'x'.repeat(20_000)}` },
      { 'api-key': 'x'.repeat(20_000) },
    ];
    for (const headers of cases) {
      await expect(authenticator.authenticate(new Headers(headers))).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
    }
  });

  test('without Entra configured, JWTs are refused', async () => {
    const store = new InMemoryApiKeyStore();
    const authenticator = createAuthenticator({
      apiKeys: createApiKeyVerifier({ store, expectedEnv: 'test' }),
    });
    await expect(
      authenticator.authenticate(new Headers({ authorization: 'Bearer eyJ.x.y' })),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
