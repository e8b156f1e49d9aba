/**
 * The webhook KEK as a Key Vault key: data keys are wrapped and unwrapped with RSA-OAEP-256 inside Key
 * Vault through the managed identity, so the KEK never reaches this process and every unwrap is audited.
 *
 * Each wrapped key stores the versioned id of the key version that wrapped it, and is unwrapped with exactly
 * that version: rotating the key (a new version) leaves every existing record readable. Records wrapped by
 * the legacy local KEK (`algorithm: 'A256GCM'`, `kekId: 'local:…'`) are unwrapped only by that KEK, while
 * it is configured; new wraps never use it.
 */
import type { TokenCredential } from '@azure/identity';
import {
  CryptographyClient,
  KeyClient,
  parseKeyVaultKeyIdentifier,
  type CryptographyClientOptions,
  type KeyClientOptions,
  type KeyVaultKey,
} from '@azure/keyvault-keys';
import type { Config } from '../config/index.js';
import { LocalKeyWrapper, type KeyWrapper, type WrappedKey } from './key-wrapper.js';
import { kekFromConfig, kekKeyIdFromConfig } from './settings.js';

export const KEY_VAULT_WRAP_ALGORITHM = 'RSA-OAEP-256';

/** The part of `CryptographyClient` used here; tests pass a stand-in, production the SDK client. */
export interface KeyCrypto {
  wrapKey(
    algorithm: typeof KEY_VAULT_WRAP_ALGORITHM,
    key: Uint8Array,
  ): Promise<{ readonly result: Uint8Array; readonly keyID?: string }>;
  unwrapKey(
    algorithm: typeof KEY_VAULT_WRAP_ALGORITHM,
    encryptedKey: Uint8Array,
  ): Promise<{ readonly result: Uint8Array }>;
}

/** A client for one key id: versionless to wrap with the current version, versioned to unwrap. */
export type KeyCryptoFactory = (keyId: string) => KeyCrypto;

interface KeyParts {
  readonly origin: string;
  readonly name: string;
  readonly version?: string;
}

/** `https://<vault>/keys/<name>[/<version>]`, or undefined for anything else. */
export function parseKeyId(id: string): KeyParts | undefined {
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) return undefined;
  const [first, name, version, ...rest] = url.pathname.replace(/\/$/, '').split('/').slice(1);
  if (first !== 'keys' || !name || rest.length > 0) return undefined;
  return { origin: url.origin, name: name.toLowerCase(), ...(version ? { version } : {}) };
}

export interface KeyVaultKeyWrapperOptions {
  /** Unwraps `A256GCM` records written before the KEK moved to Key Vault; never used to wrap. */
  readonly legacy?: KeyWrapper;
  /** How long an unwrapped data key is reused (0: never). */
  readonly cacheTtlMs?: number;
  readonly cacheMaxEntries?: number;
  readonly now?: () => number;
}

interface CachedKey {
  readonly key: Promise<Buffer>;
  readonly expiresAt: number;
}

export class KeyVaultKeyWrapper implements KeyWrapper {
  readonly #key: KeyParts;
  readonly #unwrapClients = new Map<string, KeyCrypto>();
  readonly #cache = new Map<string, CachedKey>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #legacy: KeyWrapper | undefined;

  /** `keyId`: the versionless id of the key (`https://<vault>.vault.azure.net/keys/<name>`). */
  constructor(
    readonly keyId: string,
    private readonly clients: KeyCryptoFactory,
    options: KeyVaultKeyWrapperOptions = {},
  ) {
    const parts = parseKeyId(keyId);
    if (!parts) throw new Error('The webhook KEK key id must be https://<vault>/keys/<name>');
    this.#key = parts;
    this.#legacy = options.legacy;
    // Deliveries unwrap on every attempt; RSA 3072 keys allow about 100 operations per second per vault,
    // so a short reuse keeps a burst of deliveries off Key Vault's throttling without keeping keys for long.
    this.#ttlMs = options.cacheTtlMs ?? 10 * 60_000;
    this.#maxEntries = options.cacheMaxEntries ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  async wrapKey(dataKey: Buffer): Promise<WrappedKey> {
    const { result, keyID } = await this.clients(this.keyId).wrapKey(KEY_VAULT_WRAP_ALGORITHM, dataKey);
    // Without the version, unwrap would pick the newest one, which fails after a rotation: refuse to store it.
    if (!keyID || !this.#isVersionOfKey(keyID)) {
      throw new Error(`Key Vault did not report which version of ${this.keyId} wrapped the data key`);
    }
    return {
      kekId: keyID,
      algorithm: KEY_VAULT_WRAP_ALGORITHM,
      wrapped: Buffer.from(result).toString('base64'),
    };
  }

  async unwrapKey(wrapped: WrappedKey): Promise<Buffer> {
    switch (wrapped.algorithm) {
      case 'A256GCM':
        if (!this.#legacy) {
          throw new Error(
            `Data key wrapped by the local KEK ${wrapped.kekId}, which is not configured (WEBHOOK_KEK_BASE64)`,
          );
        }
        return this.#legacy.unwrapKey(wrapped);
      case KEY_VAULT_WRAP_ALGORITHM:
        return Buffer.from(await this.#cachedUnwrap(wrapped));
      default:
        throw new Error(
          `Unknown key wrap algorithm ${String((wrapped as { algorithm: unknown }).algorithm)}`,
        );
    }
  }

  /** Only versions of the configured key: a record cannot send the identity's requests anywhere else. */
  #isVersionOfKey(id: string): boolean {
    const parts = parseKeyId(id);
    return (
      parts !== undefined &&
      parts.version !== undefined &&
      parts.origin === this.#key.origin &&
      parts.name === this.#key.name
    );
  }

  #cachedUnwrap(wrapped: WrappedKey): Promise<Buffer> {
    if (!this.#isVersionOfKey(wrapped.kekId)) {
      return Promise.reject(
        new Error(`Data key wrapped by ${wrapped.kekId}, not a version of ${this.keyId}`),
      );
    }
    const now = this.#now();
    const cacheKey = `${wrapped.kekId} ${wrapped.wrapped}`;
    const hit = this.#cache.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.key;
    if (hit) this.#forget(cacheKey, hit);

    const key = this.#unwrapClient(wrapped.kekId)
      .unwrapKey(KEY_VAULT_WRAP_ALGORITHM, Buffer.from(wrapped.wrapped, 'base64'))
      .then(({ result }) => Buffer.from(result));
    if (this.#ttlMs <= 0) return key;
    const entry = { key, expiresAt: now + this.#ttlMs };
    this.#cache.set(cacheKey, entry);
    // A failed unwrap is not remembered: the next attempt asks Key Vault again.
    key.catch(() => {
      if (this.#cache.get(cacheKey) === entry) this.#cache.delete(cacheKey);
    });
    for (const [oldest, old] of this.#cache) {
      if (this.#cache.size <= this.#maxEntries) break;
      this.#forget(oldest, old);
    }
    return key;
  }

  #forget(cacheKey: string, entry: CachedKey): void {
    this.#cache.delete(cacheKey);
    entry.key.then(
      (key) => key.fill(0),
      () => undefined,
    );
  }

  #unwrapClient(versionedId: string): KeyCrypto {
    let client = this.#unwrapClients.get(versionedId);
    if (!client) {
      client = this.clients(versionedId);
      this.#unwrapClients.set(versionedId, client);
    }
    return client;
  }
}

/**
 * `CryptographyClient`s through the managed identity. RSA-OAEP-256 runs in Key Vault, and the SDK then
 * reports the id it was constructed with, not the version the service used; so a wrap first reads the key's
 * current version and wraps with exactly that one, whose id is what gets stored.
 */
export function keyVaultCrypto(
  credential: () => TokenCredential,
  pipelineOptions: CryptographyClientOptions & KeyClientOptions = {},
): KeyCryptoFactory {
  const keyClients = new Map<string, KeyClient>();
  return (keyId) => {
    const { vaultUrl, name, version } = parseKeyVaultKeyIdentifier(keyId);
    // Unwrap with the exact version, from its id alone: a client that reads the key first refuses a version
    // past its expiry date on its own, while Key Vault keeps unwrapping with expired versions so that data
    // wrapped before stays readable. Key Vault decides, and one read per client is saved.
    const exactVersion: KeyVaultKey = { id: keyId, name, properties: { id: keyId, name, vaultUrl, version } };
    const unwrapper = () => new CryptographyClient(exactVersion, credential(), pipelineOptions);
    if (version) return unwrapper();
    return {
      async wrapKey(algorithm, key) {
        let keys = keyClients.get(vaultUrl);
        if (!keys) keyClients.set(vaultUrl, (keys = new KeyClient(vaultUrl, credential(), pipelineOptions)));
        const current = await keys.getKey(name);
        return new CryptographyClient(current, credential(), pipelineOptions).wrapKey(algorithm, key);
      },
      unwrapKey: (algorithm, encryptedKey) => unwrapper().unwrapKey(algorithm, encryptedKey),
    };
  };
}

/**
 * The webhook key wrapper for this configuration: the Key Vault key when `WEBHOOK_KEK_KEY_ID` is set (the
 * legacy `WEBHOOK_KEK_BASE64`, if also set, only unwraps old records), else the local KEK. `clients`
 * replaces Key Vault in tests.
 */
export function keyWrapperFromConfig(
  config: Config,
  credential: () => TokenCredential,
  clients: KeyCryptoFactory = keyVaultCrypto(credential),
): KeyWrapper {
  const keyId = kekKeyIdFromConfig(config);
  if (!keyId) return new LocalKeyWrapper(kekFromConfig(config));
  return new KeyVaultKeyWrapper(keyId, clients, {
    ...(config.WEBHOOK_KEK_BASE64 ? { legacy: new LocalKeyWrapper(kekFromConfig(config)) } : {}),
  });
}
