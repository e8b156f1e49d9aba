/**
 * A real JWKS endpoint for tests: node:http on 127.0.0.1, an ephemeral port, serving whichever public
 * keys the test publishes, and counting requests so tests can assert caching and rollover refetches.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  return { kid, privateKey, publicJwk };
}

export interface JwksServer {
  readonly url: string;
  /** Number of GET requests served. */
  requests: number;
  publish(keys: readonly SigningKey[]): void;
  /** Makes the endpoint answer 503, as an unreachable identity provider would. */
  failing: boolean;
  close(): Promise<void>;
}

export async function startJwksServer(initial: readonly SigningKey[]): Promise<JwksServer> {
  let published: JWK[] = initial.map((k) => k.publicJwk);
  const state = { requests: 0, failing: false };
  const server: Server = createServer((request, response) => {
    state.requests += 1;
    if (state.failing) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/discovery/v2.0/keys`,
    get requests() {
      return state.requests;
    },
    set requests(value: number) {
      state.requests = value;
    },
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    publish(keys) {
      published = keys.map((k) => k.publicJwk);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const AUDIENCE = 'api://prompt-pipeline';
export const CLIENT_ID = '6e6f3c1a-1b2c-4d5e-8f90-a1b2c3d4e5f6';
export const ISSUER_V2 = `https://login.microsoftonline.com/${TID}/v2.0`;
export const ISSUER_V1 = `https://sts.windows.net/${TID}/`;
export const CALLER_APP = '11111111-2222-3333-4444-555555555555';
export const ADMIN_APP = '99999999-8888-7777-6666-555555555555';

/** An Entra-shaped app-only access token (v2 by default) signed with `key`. */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload = {},
  options: {
    issuer?: string;
    audience?: string;
    expiresIn?: string | number;
    notBefore?: string | number;
  } = {},
): Promise<string> {
  const jwt = new SignJWT({
    tid: TID,
    azp: CALLER_APP,
    oid: 'a0a0a0a0-0000-0000-0000-000000000001',
    roles: ['Jobs.Submit'],
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER_V2)
    .setAudience(options.audience ?? CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h');
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(key.privateKey);
}
