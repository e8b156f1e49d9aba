/**
 * The production factory, `keyVaultCrypto`, through the real `@azure/keyvault-keys` clients. Only the
 * HTTP transport is replaced: a stand-in that answers like the Key Vault REST API (challenge-based sign-in,
 * GET key, POST wrapkey and unwrapkey with RSA-OAEP-256; unwrap still allowed with an expired version, as
 * Key Vault documents). Key Vault itself cannot run here.
 */
import {
  constants,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { KeyVaultKeyWrapper, keyVaultCrypto } from '../../../shared/webhooks/key-vault-wrapper.js';
import { decryptSecret, encryptSecret } from '../../../shared/webhooks/key-wrapper.js';

const VAULT = 'https://kv-pp-test.vault.azure.net';
const KEY_ID = `${VAULT}/keys/webhook-kek-rsa`;
const OAEP_SHA256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

interface Version {
  readonly key: KeyObject;
  expiresAt: number;
}

class FakeKeyVaultHttp implements HttpClient {
  readonly versions = new Map<string, Version>();
  readonly requests: string[] = [];
  current = '';

  constructor() {
    this.rotate();
  }

  rotate(): void {
    this.current = randomBytes(16).toString('hex');
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.versions.set(this.current, { key, expiresAt: Date.now() + 2 * 365 * 86_400_000 });
  }

  sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const url = new URL(request.url);
    if (!request.headers.get('authorization')) {
      return this.#reply(request, 401, undefined, {
        'WWW-Authenticate':
          'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
      });
    }
    this.requests.push(`${request.method} ${url.pathname}`);
    const match = /^\/keys\/webhook-kek-rsa\/?([0-9a-f]*)\/?(wrapkey|unwrapkey)?$/.exec(url.pathname);
    const version = match?.[1] || this.current;
    const entry = this.versions.get(version);
    if (!match || !entry)
      return this.#reply(request, 404, { error: { code: 'KeyNotFound', message: 'not found' } });
    const kid = `${KEY_ID}/${version}`;
    if (request.method === 'GET') {
      const jwk = entry.key.export({ format: 'jwk' });
      return this.#reply(request, 200, {
        key: { kid, kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey'], n: jwk.n, e: jwk.e },
        attributes: { enabled: true, exp: Math.floor(entry.expiresAt / 1000) },
      });
    }
    const body = JSON.parse(typeof request.body === 'string' ? request.body : '{}') as {
      alg: string;
      value: string;
    };
    if (body.alg !== 'RSA-OAEP-256')
      return this.#reply(request, 400, { error: { code: 'BadParameter', message: 'alg' } });
    const value = Buffer.from(body.value, 'base64url');
    if (match[2] === 'wrapkey') {
      if (entry.expiresAt < Date.now())
        return this.#reply(request, 403, { error: { code: 'Forbidden', message: 'expired' } });
      return this.#reply(request, 200, {
        kid,
        value: b64url(publicEncrypt({ key: entry.key, ...OAEP_SHA256 }, value)),
      });
    }
    try {
      return this.#reply(request, 200, {
        kid,
        value: b64url(privateDecrypt({ key: entry.key, ...OAEP_SHA256 }, value)),
      });
    } catch {
      return this.#reply(request, 400, { error: { code: 'BadParameter', message: 'unwrap failed' } });
    }
  }

  #reply(request: PipelineRequest, status: number, body?: unknown, headers: Record<string, string> = {}) {
    return Promise.resolve({
      request,
      status,
      headers: createHttpHeaders({ 'content-type': 'application/json', ...headers }),
      ...(body === undefined ? {} : { bodyAsText: JSON.stringify(body) }),
    });
  }
}

const credential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

function wrapperOver(http: FakeKeyVaultHttp): KeyVaultKeyWrapper {
  const clients = keyVaultCrypto(() => credential, { httpClient: http, retryOptions: { maxRetries: 0 } });
  return new KeyVaultKeyWrapper(KEY_ID, clients, { cacheTtlMs: 0 });
}

describe('keyVaultCrypto through the Key Vault SDK', () => {
  it('stores the version the service wrapped with, and unwraps with exactly that version', async () => {
    const http = new FakeKeyVaultHttp();
    const wrapper = wrapperOver(http);
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    expect(stored.dataKey.kekId).toBe(`${KEY_ID}/${http.current}`);
    const wrappedWith = http.current;

    http.rotate();
    http.requests.length = 0;
    expect(await decryptSecret(wrapper, stored, 'ctx')).toBe('whsec_abc=');
    expect(http.requests).toEqual([`POST /keys/webhook-kek-rsa/${wrappedWith}/unwrapkey`]);

    const fresh = await encryptSecret(wrapper, 'whsec_new=', 'ctx');
    expect(fresh.dataKey.kekId).toBe(`${KEY_ID}/${http.current}`);
  });

  it('still unwraps with a version past its expiry date (Key Vault allows it; the client must not refuse)', async () => {
    const http = new FakeKeyVaultHttp();
    const wrapper = wrapperOver(http);
    const stored = await encryptSecret(wrapper, 'whsec_abc=', 'ctx');
    http.versions.get(http.current)!.expiresAt = Date.now() - 1000;
    expect(await decryptSecret(wrapperOver(http), stored, 'ctx')).toBe('whsec_abc=');
  });
});
