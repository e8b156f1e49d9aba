/**
 * Envelope encryption for endpoint signing secrets: each secret is encrypted with its own random data key,
 * and only the data key, wrapped by a key-encryption key (KEK), is stored beside it. A reader of the
 * database alone holds ciphertext and wrapped keys, never a usable secret.
 *
 * `KeyWrapper` is the port. In Azure the KEK is a Key Vault key (key-vault-wrapper.ts); `LocalKeyWrapper`
 * wraps with AES-256-GCM under a KEK from configuration: the local stack, and records wrapped before the
 * Key Vault key (docs/webhooks.md).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface WrappedKey {
  /**
   * Which KEK wrapped it, so KEKs can rotate while old wrapped keys stay readable: `local:<fingerprint>`
   * for a local KEK, the versioned Key Vault key id for a Key Vault key.
   */
  readonly kekId: string;
  /** `A256GCM`: a local KEK. `RSA-OAEP-256`: a Key Vault key. */
  readonly algorithm: 'A256GCM' | 'RSA-OAEP-256';
  /** base64 of iv(12) | ciphertext | tag(16) (A256GCM), or of the RSA-OAEP-256 ciphertext. */
  readonly wrapped: string;
}

export interface KeyWrapper {
  wrapKey(dataKey: Buffer): Promise<WrappedKey>;
  unwrapKey(wrapped: WrappedKey): Promise<Buffer>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: iv | ciphertext | tag. `aad` binds the ciphertext to where it is stored. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

/** Throws if the key, the AAD or any byte is wrong (GCM authenticates all three). */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
    decipher.final(),
  ]);
}

export class LocalKeyWrapper implements KeyWrapper {
  readonly kekId: string;
  readonly #kek: Buffer;

  /** `kek`: 32 bytes. Older KEKs (`previous`) stay able to unwrap after a KEK rotation. */
  constructor(
    kek: Buffer,
    private readonly previous: readonly Buffer[] = [],
  ) {
    if (kek.length !== 32) throw new Error('The webhook KEK must be 32 bytes (AES-256)');
    this.#kek = kek;
    this.kekId = LocalKeyWrapper.idOf(kek);
  }

  /** A fingerprint, not the key: lets a record say which KEK wrapped it without revealing it. */
  static idOf(kek: Buffer): string {
    return `local:${createHash('sha256').update(kek).digest('hex').slice(0, 16)}`;
  }

  wrapKey(dataKey: Buffer): Promise<WrappedKey> {
    const wrapped = seal(this.#kek, dataKey, this.kekId).toString('base64');
    return Promise.resolve({ kekId: this.kekId, algorithm: 'A256GCM', wrapped });
  }

  unwrapKey(wrapped: WrappedKey): Promise<Buffer> {
    const kek = [this.#kek, ...this.previous].find((k) => LocalKeyWrapper.idOf(k) === wrapped.kekId);
    if (!kek) return Promise.reject(new Error(`Unknown key-encryption key ${wrapped.kekId}`));
    return Promise.resolve(open(kek, Buffer.from(wrapped.wrapped, 'base64'), wrapped.kekId));
  }
}

/** A secret as stored: ciphertext under a per-secret data key, and that key wrapped by the KEK. */
export interface EncryptedSecret {
  readonly dataKey: WrappedKey;
  /** base64 of iv | ciphertext | tag. */
  readonly ciphertext: string;
}

/**
 * `context` (tenant, endpoint, secret id) is authenticated data: a ciphertext copied onto another
 * endpoint's record fails to decrypt instead of signing for someone else.
 */
export async function encryptSecret(
  wrapper: KeyWrapper,
  secret: string,
  context: string,
): Promise<EncryptedSecret> {
  const dataKey = randomBytes(32);
  try {
    const ciphertext = seal(dataKey, Buffer.from(secret, 'utf8'), context).toString('base64');
    return { dataKey: await wrapper.wrapKey(dataKey), ciphertext };
  } finally {
    dataKey.fill(0);
  }
}

export async function decryptSecret(
  wrapper: KeyWrapper,
  stored: EncryptedSecret,
  context: string,
): Promise<string> {
  const dataKey = await wrapper.unwrapKey(stored.dataKey);
  try {
    return open(dataKey, Buffer.from(stored.ciphertext, 'base64'), context).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}
