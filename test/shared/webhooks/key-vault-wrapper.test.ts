/**
 * The Key Vault KEK. Key Vault cannot run here, so `FakeVault` stands in for it, following the service's
 * documented behaviour: RSA-OAEP-256 (OAEP with SHA-256) under the key's current version, a wrap result
 * `{ result, keyID (versioned), algorithm }`, and unwrapKey failing for a key that did not wrap the bytes.
 */
import {
  constants,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../shared/config/index.js';
import {
  KeyVaultKeyWrapper,
  keyWrapperFromConfig,
  type KeyCrypto,
  type KeyCryptoFactory,
} from '../../../shared/webhooks/key-vault-wrapper.js';
import { decryptSecret, encryptSecret, LocalKeyWrapper } from '../../../shared/webhooks/key-wrapper.js';

const KEY_ID = 'https://kv-pp-test.vault.azure.net/keys/webhook-kek-rsa';
const OAEP_SHA256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };

/** RSA key generation is slow: each vault's n-th version reuses the n-th key, made once per file. */
const keyPool: KeyObject[] = [];
function pooledKey(index: number): KeyObject {
  // 2048 bits keeps the tests fast; the service's algorithm is the same for the deployed 3072-bit key.
  while (keyPool.length <= index)
    keyPool.push(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  return keyPool[index]!;
}

class FakeVault {
  readonly versions = new Map<string, number>();
  readonly calls: { op: 'wrap' | 'unwrap'; keyId: string }[] = [];
  #current = '';

  constructor() {
    this.rotate();
  }

  /** `az keyvault key rotate`: a new current version; older versions stay enabled. */
  rotate(): string {
    this.#current = randomBytes(16).toString('hex');
    this.versions.set(this.#current, this.versions.size);
    return `${KEY_ID}/${this.#current}`;
  }

  readonly clients: KeyCryptoFactory = (keyId) => this.client(keyId);

  client(keyId: string): KeyCrypto {
    const [, version] = keyId.slice(KEY_ID.length).split('/');
    return {
      wrapKey: (algorithm, key) => {
        this.calls.push({ op: 'wrap', keyId });
        const used = version ?? this.#current;
        const privateKey = this.#version(used);
        const result = publicEncrypt({ key: privateKey, ...OAEP_SHA256 }, key);
        return Promise.resolve({ result, keyID: `${KEY_ID}/${used}`, algorithm });
      },
      unwrapKey: (algorithm, encryptedKey) => {
        this.calls.push({ op: 'unwrap', keyId });
        try {
          const result = privateDecrypt(
            { key: this.#version(version ?? this.#current), ...OAEP_SHA256 },
            encryptedKey,
          );
          return Promise.resolve({ result, keyID: keyId, algorithm });
        } catch {
          return Promise.reject(
            new Error('BadParameter: the ciphertext could not be unwrapped with this key'),
          );
        }
      },
    };
  }

  #version(version: string): KeyObject {
    const index = this.versions.get(version);
    if (index === undefined) throw new Error(`KeyNotFound: ${version}`);
    return pooledKey(index);
  }
}

const noCredential = () => {
  throw new Error('tests never reach Azure');
};

function config(env: Record<string, string>): Config {
  return parseConfig({
    COSMOS_ENDPOINT: 'https://cosmos.example.invalid/',
    ServiceBusConnection__fullyQualifiedNamespace: 'sb.example.invalid',
    ...env,
  });
}

describe('the webhook KEK in Key Vault', () => {
  it('round-trips a secret, storing the versioned key id, the algorithm and no plaintext', async () => {
    const vault = new FakeVault();
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, vault.clients);
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    const stored = await encryptSecret(wrapper, secret, 'webhook-secret/t1/ep1/s1');
    expect(stored.dataKey.kekId).toMatch(new RegExp(`^${KEY_ID}/[0-9a-f]{32}$`));
    expect(stored.dataKey.algorithm).toBe('RSA-OAEP-256');
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    expect(await decryptSecret(wrapper, stored, 'webhook-secret/t1/ep1/s1')).toBe(secret);
  });

  it('unwraps with the version that wrapped, so a rotation keeps old records readable', async () => {
    const vault = new FakeVault();
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, vault.clients, { cacheTtlMs: 0 });
    const before = await encryptSecret(wrapper, 'whsec_old=', 'ctx');
    const rotated = vault.rotate();
    const after = await encryptSecret(wrapper, 'whsec_new=', 'ctx');
    expect(after.dataKey.kekId).toBe(rotated);
    expect(before.dataKey.kekId).not.toBe(rotated);

    vault.calls.length = 0;
    expect(await decryptSecret(wrapper, before, 'ctx')).toBe('whsec_old=');
    expect(await decryptSecret(wrapper, after, 'ctx')).toBe('whsec_new=');
    expect(vault.calls).toEqual([
      { op: 'unwrap', keyId: before.dataKey.kekId },
      { op: 'unwrap', keyId: after.dataKey.kekId },
    ]);
  });

  it('fails when the stored version did not wrap the data key (the service refuses the unwrap)', async () => {
    const vault = new FakeVault();
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, vault.clients);
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    const other = vault.rotate();
    const moved = { ...stored, dataKey: { ...stored.dataKey, kekId: other } };
    await expect(decryptSecret(wrapper, moved, 'ctx')).rejects.toThrow(/could not be unwrapped/);
  });

  it('never asks another key or vault than the configured one, whatever a record names', async () => {
    const vault = new FakeVault();
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, vault.clients);
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    const version = stored.dataKey.kekId.split('/').pop()!;
    vault.calls.length = 0;
    for (const kekId of [
      `https://attacker.example/keys/webhook-kek-rsa/${version}`,
      `https://kv-pp-test.vault.azure.net/keys/other-key/${version}`,
      KEY_ID,
    ]) {
      const moved = { ...stored, dataKey: { ...stored.dataKey, kekId } };
      await expect(decryptSecret(wrapper, moved, 'ctx')).rejects.toThrow(/not a version of/);
    }
    expect(vault.calls).toEqual([]);
  });

  it('refuses to store a wrap whose key version is unknown', async () => {
    const vault = new FakeVault();
    const versionless: KeyCryptoFactory = (keyId) => ({
      ...vault.client(keyId),
      wrapKey: async (algorithm, key) => ({
        ...(await vault.client(keyId).wrapKey(algorithm, key)),
        keyID: keyId,
      }),
    });
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, versionless);
    await expect(encryptSecret(wrapper, 'whsec_abc=', 'ctx')).rejects.toThrow(/which version/);
  });

  it('reuses an unwrapped data key for a while, then asks Key Vault again', async () => {
    const vault = new FakeVault();
    let now = 0;
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, vault.clients, { cacheTtlMs: 1000, now: () => now });
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    vault.calls.length = 0;
    // decryptSecret zeroes the data key after use: the cache must hand out copies.
    expect(await decryptSecret(wrapper, stored, 'ctx')).toBe('whsec_abc=');
    expect(await decryptSecret(wrapper, stored, 'ctx')).toBe('whsec_abc=');
    expect(vault.calls).toHaveLength(1);
    now = 1001;
    expect(await decryptSecret(wrapper, stored, 'ctx')).toBe('whsec_abc=');
    expect(vault.calls).toHaveLength(2);
  });

  it('does not remember a failed unwrap', async () => {
    const vault = new FakeVault();
    let fail = true;
    const flaky: KeyCryptoFactory = (keyId) => ({
      ...vault.client(keyId),
      unwrapKey: (algorithm, bytes) =>
        fail ? Promise.reject(new Error('Throttled')) : vault.client(keyId).unwrapKey(algorithm, bytes),
    });
    const wrapper = new KeyVaultKeyWrapper(KEY_ID, flaky);
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    await expect(decryptSecret(wrapper, stored, 'ctx')).rejects.toThrow(/Throttled/);
    fail = false;
    expect(await decryptSecret(wrapper, stored, 'ctx')).toBe('whsec_abc=');
  });
});

describe('records wrapped by the legacy local KEK', () => {
  const legacyKek = randomBytes(32);
  const legacyEnv = { WEBHOOK_KEK_BASE64: legacyKek.toString('base64') };

  it('stay readable with the local KEK while new wraps go to Key Vault only', async () => {
    const legacyRecord = await encryptSecret(new LocalKeyWrapper(legacyKek), 'whsec_legacy=', 'ctx');
    expect(legacyRecord.dataKey).toMatchObject({
      algorithm: 'A256GCM',
      kekId: expect.stringMatching(/^local:/),
    });

    const vault = new FakeVault();
    const wrapper = keyWrapperFromConfig(
      config({ ...legacyEnv, WEBHOOK_KEK_KEY_ID: KEY_ID }),
      noCredential,
      vault.clients,
    );
    expect(await decryptSecret(wrapper, legacyRecord, 'ctx')).toBe('whsec_legacy=');
    expect(vault.calls).toEqual([]);

    const fresh = await encryptSecret(wrapper, 'whsec_new=', 'ctx');
    expect(fresh.dataKey.algorithm).toBe('RSA-OAEP-256');
    expect(vault.calls.map((c) => c.op)).toEqual(['wrap']);
    // The local KEK alone cannot read it: the new record depends on Key Vault, not on the legacy secret.
    await expect(decryptSecret(new LocalKeyWrapper(legacyKek), fresh, 'ctx')).rejects.toThrow();
  });

  it('fail clearly once the legacy KEK is no longer configured', async () => {
    const legacyRecord = await encryptSecret(new LocalKeyWrapper(legacyKek), 'whsec_legacy=', 'ctx');
    const wrapper = keyWrapperFromConfig(
      config({ WEBHOOK_KEK_KEY_ID: KEY_ID }),
      noCredential,
      new FakeVault().clients,
    );
    await expect(decryptSecret(wrapper, legacyRecord, 'ctx')).rejects.toThrow(/WEBHOOK_KEK_BASE64/);
  });

  it('are what the local KEK still writes when no Key Vault key is configured', async () => {
    const wrapper = keyWrapperFromConfig(config(legacyEnv), noCredential);
    expect(wrapper).toBeInstanceOf(LocalKeyWrapper);
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    expect(stored.dataKey.kekId).toBe(LocalKeyWrapper.idOf(legacyKek));
  });
});

describe('KEK configuration', () => {
  it('in Azure needs WEBHOOK_KEK_KEY_ID or the legacy WEBHOOK_KEK_BASE64', () => {
    const azure = { PIPELINE_ENVIRONMENT: 'azure' };
    expect(() => keyWrapperFromConfig(config(azure), noCredential)).toThrow(
      expect.objectContaining({
        name: 'InvalidEnvironmentError',
        variables: ['WEBHOOK_KEK_KEY_ID', 'WEBHOOK_KEK_BASE64'],
        message: expect.stringMatching(/WEBHOOK_KEK_KEY_ID: required in Azure/),
      }),
    );
    const vault = new FakeVault();
    expect(
      keyWrapperFromConfig(config({ ...azure, WEBHOOK_KEK_KEY_ID: KEY_ID }), noCredential, vault.clients),
    ).toBeInstanceOf(KeyVaultKeyWrapper);
    const legacy = { ...azure, WEBHOOK_KEK_BASE64: randomBytes(32).toString('base64') };
    expect(keyWrapperFromConfig(config(legacy), noCredential)).toBeInstanceOf(LocalKeyWrapper);
  });

  it('locally needs neither (a random KEK per process)', () => {
    expect(keyWrapperFromConfig(config({ PIPELINE_ENVIRONMENT: 'local' }), noCredential)).toBeInstanceOf(
      LocalKeyWrapper,
    );
  });

  it.each([
    ['http', 'http://kv-pp-test.vault.azure.net/keys/webhook-kek-rsa'],
    ['not a URL', 'webhook-kek-rsa'],
    ['a secret, not a key', 'https://kv-pp-test.vault.azure.net/secrets/webhook-kek'],
    ['a versioned id', `${KEY_ID}/0123456789abcdef0123456789abcdef`],
  ])('refuses a key id that is %s, naming the variable', (_label, keyId) => {
    expect(() =>
      keyWrapperFromConfig(config({ WEBHOOK_KEK_KEY_ID: keyId }), noCredential, new FakeVault().clients),
    ).toThrow(
      expect.objectContaining({
        variables: ['WEBHOOK_KEK_KEY_ID'],
        message: expect.stringMatching(/WEBHOOK_KEK_KEY_ID: must be the https id of a Key Vault key/),
      }),
    );
  });

  it('accepts the versionless keyUri the template sets, with or without a trailing slash', async () => {
    const vault = new FakeVault();
    const wrapper = keyWrapperFromConfig(
      config({ WEBHOOK_KEK_KEY_ID: `${KEY_ID}/` }),
      noCredential,
      vault.clients,
    );
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    expect(vault.calls[0]).toEqual({ op: 'wrap', keyId: KEY_ID });
    expect(await decryptSecret(wrapper, stored, 'ctx')).toBe('whsec_abc=');
  });
});
