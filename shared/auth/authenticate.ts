/**
 * One entry point for HTTP authentication: `authenticate(headers) → Principal`.
 * Accepted: `Authorization: Bearer <Entra JWT>`, `Authorization: Bearer pp_...` (API key) or
 * `api-key: pp_...` (the header Azure OpenAI callers already use). Two credentials at once are refused
 * rather than guessing which one the caller meant.
 */
import { UnauthorizedError } from '../errors/index.js';
import { looksLikeApiKey, type ApiKeyVerifier } from './api-keys.js';
import type { EntraVerifier } from './entra.js';
import type { Principal } from './principal.js';

/** The part of `Headers` (fetch, @azure/functions HttpRequest) we need; names are case-insensitive. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** No real token or key comes near this; refusing early keeps junk away from parsers and crypto. */
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

export interface Authenticator {
  authenticate(headers: HeaderSource): Promise<Principal>;
}

export function createAuthenticator(options: {
  apiKeys: ApiKeyVerifier;
  entra?: EntraVerifier;
}): Authenticator {
  return {
    async authenticate(headers) {
      const authorization = headers.get('authorization');
      const apiKey = headers.get('api-key');
      if (authorization !== null && apiKey !== null) {
        throw new UnauthorizedError('Send either an Authorization header or an api-key header, not both.');
      }
      if (apiKey !== null) {
        const key = apiKey.trim();
        if (key.length > MAX_CREDENTIAL_LENGTH)
          throw new UnauthorizedError('The API key is invalid or revoked.');
        return options.apiKeys.verify(key);
      }
      if (authorization === null) throw new UnauthorizedError('Authentication required.');
      const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
      const credential = match?.[1];
      if (!credential || credential.length > MAX_CREDENTIAL_LENGTH) {
        throw new UnauthorizedError('Use Authorization: Bearer <token> or an api-key header.');
      }
      if (looksLikeApiKey(credential)) return options.apiKeys.verify(credential);
      if (!options.entra) throw new UnauthorizedError('The bearer token is invalid or expired.');
      return options.entra.verify(credential);
    },
  };
}

/** RFC 6750 challenge for 401 responses: tells clients which scheme to use, reveals nothing else. */
export const WWW_AUTHENTICATE = 'Bearer realm="prompt-pipeline"';
