/**
 * API keys: format, what is stored, verification outcomes, and the authenticate() front door that
 * routes each header shape to the right verifier.
 */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { InMemoryApiKeyStore } from '../../fakes/memory-api-key-store.js';
import {
  API_KEY_PATTERN,
  apiKeyEnvLabel,
  createApiKeyVerifier,
  generateApiKey,
  parseApiKey,
} from '../../../shared/auth/api-keys.js';
import { createAuthenticator } from '../../../shared/auth/authenticate.js';
import type { EntraVerifier } from '../../../shared/auth/entra.js';
import { UnauthorizedError } from '../../../shared/errors/index.js';

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
    let clock = NOW.getTime();
    const verifier = createApiKeyVerifier({ store, expectedEnv: 'test', clock: () => clock });
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
    // Refused once the verifier's cache entry (10 s) has expired; see 'verification cache' below.
    clock += 10_001;
    await expect(verifier.verify(key)).rejects.toBeInstanceOf(UnauthorizedError);
    // The other tenant's key is untouched by this revocation.
    await expect(verifier.verify(other.key)).resolves.toMatchObject({ tenantId: 'team-b' });
  });
});

describe('verification cache', () => {
  function counted(store: InMemoryApiKeyStore) {
    const reads: string[] = [];
    return { reads, lookup: { get: (id: string) => (reads.push(id), store.get(id)) } };
  }

  test('a verified key costs one read per TTL; a wrong secret is refused from the cache', async () => {
    const store = new InMemoryApiKeyStore();
    const { key, record } = await issue(store);
    const { reads, lookup } = counted(store);
    let clock = NOW.getTime();
    const verifier = createApiKeyVerifier({ store: lookup, expectedEnv: 'test', clock: () => clock });
    for (let i = 0; i < 5; i += 1) await verifier.verify(key);
    expect(reads).toEqual([record.keyId]);
    const { keyId } = parseApiKey(key)!;
    const forged = `pp_test_${keyId}_${'A'.repeat(43)}`;
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(reads).toHaveLength(1);
    clock += 9_999;
    await verifier.verify(key);
    expect(reads).toHaveLength(1);
    clock += 2;
    await verifier.verify(key);
    expect(reads).toHaveLength(2);
  });

  test('a wrong secret is never cached: the owner is not locked out by someone else’s guesses', async () => {
    const store = new InMemoryApiKeyStore();
    const { key } = await issue(store);
    const { keyId } = parseApiKey(key)!;
    const verifier = createApiKeyVerifier({ store, expectedEnv: 'test' });
    await expect(verifier.verify(`pp_test_${keyId}_${'B'.repeat(43)}`)).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(verifier.verify(key)).resolves.toMatchObject({ tenantId: 'team-a' });
  });

  test('revocation: refused after the TTL, at once with cacheTtlMs 0', async () => {
    const store = new InMemoryApiKeyStore();
    const { key, record } = await issue(store);
    let clock = NOW.getTime();
    const cached = createApiKeyVerifier({
      store,
      expectedEnv: 'test',
      clock: () => clock,
      cacheTtlMs: 3_000,
    });
    const uncached = createApiKeyVerifier({ store, expectedEnv: 'test', cacheTtlMs: 0 });
    await cached.verify(key);
    await uncached.verify(key);
    await store.revoke(record.keyId, NOW);
    await expect(uncached.verify(key)).rejects.toBeInstanceOf(UnauthorizedError);
    // The documented window: still accepted by an instance that verified it under 3 s ago.
    clock += 2_999;
    await expect(cached.verify(key)).resolves.toBeDefined();
    clock += 2;
    await expect(cached.verify(key)).rejects.toBeInstanceOf(UnauthorizedError);
    // Revoked is remembered as refused, never as valid again.
    clock += 60_000;
    await expect(cached.verify(key)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  test('an unknown key id flood costs one read per negative TTL; concurrent misses share one read', async () => {
    const store = new InMemoryApiKeyStore();
    const { reads, lookup } = counted(store);
    let clock = NOW.getTime();
    const verifier = createApiKeyVerifier({ store: lookup, expectedEnv: 'test', clock: () => clock });
    const unknown = `pp_test_${'0'.repeat(24)}_${'C'.repeat(43)}`;
    for (let i = 0; i < 20; i += 1) {
      await expect(verifier.verify(unknown)).rejects.toBeInstanceOf(UnauthorizedError);
    }
    expect(reads).toHaveLength(1);
    clock += 1_001;
    await expect(verifier.verify(unknown)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(reads).toHaveLength(2);

    const { key } = await issue(store);
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(key)));
    expect(results.every((p) => p.tenantId === 'team-a')).toBe(true);
    expect(reads).toHaveLength(3);
  });

  test('the cache is bounded: the oldest entry goes first', async () => {
    const store = new InMemoryApiKeyStore();
    const first = await issue(store);
    const second = await issue(store);
    const third = await issue(store);
    const { reads, lookup } = counted(store);
    const verifier = createApiKeyVerifier({ store: lookup, expectedEnv: 'test', maxCacheEntries: 2 });
    for (const k of [first, second, third]) await verifier.verify(k.key);
    await verifier.verify(third.key);
    await verifier.verify(second.key);
    expect(reads).toHaveLength(3);
    await verifier.verify(first.key);
    expect(reads).toHaveLength(4);
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
