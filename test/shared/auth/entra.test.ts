/**
 * Entra ID bearer token validation against a real JWKS endpoint on 127.0.0.1 with locally generated
 * RSA keys: every refusal the issue lists, plus rollover, caching and an unreachable JWKS.
 */
import { SignJWT, base64url } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createEntraVerifier, type EntraVerifier } from '../../../shared/auth/entra.js';
import { entraVerifierFromConfig, parseTenantMap } from '../../../shared/auth/entra-config.js';
import { JwksCache, fetchJwksOverHttp } from '../../../shared/auth/jwks.js';
import { InvalidEnvironmentError } from '../../../shared/config/index.js';
import { ForbiddenError, RetryAfterError, UnauthorizedError } from '../../../shared/errors/index.js';
import {
  ADMIN_APP,
  AUDIENCE,
  CALLER_APP,
  CLIENT_ID,
  ISSUER_V1,
  ISSUER_V2,
  TID,
  newSigningKey,
  signToken,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from './jwks-server.js';

let k1: SigningKey;
let k2: SigningKey;
let server: JwksServer;

beforeAll(async () => {
  [k1, k2] = await Promise.all([newSigningKey('key-1'), newSigningKey('key-2')]);
  server = await startJwksServer([k1]);
});
afterAll(() => server.close());
afterEach(() => {
  server.publish([k1]);
  server.failing = false;
});

function verifier(overrides: { now?: () => number; cooldownMs?: number; url?: string } = {}): {
  verifier: EntraVerifier;
  jwks: JwksCache;
} {
  const jwks = new JwksCache({
    url: overrides.url ?? server.url,
    refetchCooldownMs: overrides.cooldownMs ?? 60_000,
    ...(overrides.now ? { clock: overrides.now } : {}),
  });
  return {
    jwks,
    verifier: createEntraVerifier({
      jwks,
      issuers: [ISSUER_V2, ISSUER_V1],
      audiences: [AUDIENCE, CLIENT_ID],
      requiredRole: 'Jobs.Submit',
      requiredScope: 'jobs.submit',
      adminRole: 'Platform.Admin',
      tenantMap: [
        { tid: TID, appId: CALLER_APP, tenantId: 'team-a' },
        { tid: TID, appId: ADMIN_APP, tenantId: 'platform-ops' },
        { tid: TID, oid: 'b0b0b0b0-0000-0000-0000-00000000000b', tenantId: 'team-b' },
      ],
      clockSkewSeconds: 60,
    }),
  };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

async function expectUnauthorized(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  // Nothing internal in what the caller sees: one generic sentence, whatever went wrong.
  expect((error as UnauthorizedError).detail).toBe('The bearer token is invalid or expired.');
  return error as UnauthorizedError;
}

describe('accepted tokens', () => {
  test('a valid v2 app-only token with the app role maps to its platform tenant', async () => {
    const { verifier: v } = verifier();
    const principal = await v.verify(await signToken(k1));
    expect(principal).toEqual({
      tenantId: 'team-a',
      kind: 'entra',
      roles: ['jobs'],
      subject: 'a0a0a0a0-0000-0000-0000-000000000001',
    });
  });

  test('a v1 token (sts.windows.net issuer, App ID URI audience, appid claim) is accepted', async () => {
    const { verifier: v } = verifier();
    const token = await signToken(
      k1,
      { azp: undefined, appid: CALLER_APP },
      { issuer: ISSUER_V1, audience: AUDIENCE },
    );
    expect((await v.verify(token)).tenantId).toBe('team-a');
  });

  test('a delegated token with the scope is accepted; an oid mapping wins over the app mapping', async () => {
    const { verifier: v } = verifier();
    const token = await signToken(k1, {
      roles: undefined,
      scp: 'openid jobs.submit',
      oid: 'b0b0b0b0-0000-0000-0000-00000000000b',
    });
    expect(await v.verify(token)).toMatchObject({ tenantId: 'team-b', roles: ['jobs'] });
  });

  test('the admin app role yields the admin role', async () => {
    const { verifier: v } = verifier();
    const token = await signToken(k1, { azp: ADMIN_APP, roles: ['Platform.Admin'] });
    expect(await v.verify(token)).toMatchObject({ tenantId: 'platform-ops', roles: ['admin'] });
  });

  test('exp and nbf within the 60 s skew are tolerated', async () => {
    const { verifier: v } = verifier();
    await expect(v.verify(await signToken(k1, {}, { expiresIn: nowSeconds() - 30 }))).resolves.toBeDefined();
    await expect(v.verify(await signToken(k1, {}, { notBefore: nowSeconds() + 30 }))).resolves.toBeDefined();
  });
});

describe('refused with 401', () => {
  test('expired beyond the skew', async () => {
    const { verifier: v } = verifier();
    await expectUnauthorized(v.verify(await signToken(k1, {}, { expiresIn: nowSeconds() - 120 })));
  });

  test('not yet valid beyond the skew', async () => {
    const { verifier: v } = verifier();
    await expectUnauthorized(v.verify(await signToken(k1, {}, { notBefore: nowSeconds() + 300 })));
  });

  test('wrong audience', async () => {
    const { verifier: v } = verifier();
    await expectUnauthorized(v.verify(await signToken(k1, {}, { audience: 'api://someone-else' })));
  });

  test('wrong issuer (another directory)', async () => {
    const { verifier: v } = verifier();
    const other = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000bad/v2.0';
    await expectUnauthorized(v.verify(await signToken(k1, {}, { issuer: other })));
  });

  test('a tid claim that does not match the issuer', async () => {
    const { verifier: v } = verifier();
    await expectUnauthorized(v.verify(await signToken(k1, { tid: '00000000-0000-0000-0000-000000000bad' })));
  });

  test('wrong signature: signed by an unpublished key that claims a published kid', async () => {
    const { verifier: v } = verifier();
    const impostor = await newSigningKey('key-1');
    await expectUnauthorized(v.verify(await signToken(impostor)));
  });

  test('wrong signature: payload altered after signing', async () => {
    const { verifier: v } = verifier();
    const [header, , signature] = (await signToken(k1)).split('.');
    const forged = base64url.encode(
      JSON.stringify({
        tid: TID,
        azp: ADMIN_APP,
        roles: ['Platform.Admin'],
        iss: ISSUER_V2,
        aud: CLIENT_ID,
        exp: nowSeconds() + 600,
      }),
    );
    await expectUnauthorized(v.verify(`${header}.${forged}.${signature}`));
  });

  test('alg none is refused without fetching the JWKS', async () => {
    const { verifier: v, jwks } = verifier();
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(
      JSON.stringify({
        tid: TID,
        azp: CALLER_APP,
        roles: ['Jobs.Submit'],
        iss: ISSUER_V2,
        aud: CLIENT_ID,
        exp: nowSeconds() + 600,
      }),
    );
    await expectUnauthorized(v.verify(`${header}.${payload}.`));
    expect(jwks.fetchCount).toBe(0);
  });

  test('HS256 signed with the public key as the HMAC secret (algorithm confusion) is refused', async () => {
    const { verifier: v } = verifier();
    const secret = new TextEncoder().encode(JSON.stringify(k1.publicJwk));
    const token = await new SignJWT({ tid: TID, azp: CALLER_APP, roles: ['Jobs.Submit'] })
      .setProtectedHeader({ alg: 'HS256', kid: k1.kid })
      .setIssuer(ISSUER_V2)
      .setAudience(CLIENT_ID)
      .setExpirationTime('1h')
      .sign(secret);
    await expectUnauthorized(v.verify(token));
  });

  test('a token without exp, and tokens that are not JWTs at all', async () => {
    const { verifier: v } = verifier();
    const noExp = await new SignJWT({ tid: TID, azp: CALLER_APP, roles: ['Jobs.Submit'] })
      .setProtectedHeader({ alg: 'RS256', kid: k1.kid })
      .setIssuer(ISSUER_V2)
      .setAudience(CLIENT_ID)
      .sign(k1.privateKey);
    await expectUnauthorized(v.verify(noExp));
    for (const junk of ['', 'abc', 'a.b.c', '....', 'eyJhbGciOiJSUzI1NiJ9.e30.', `${'x'.repeat(100)}.y.z`]) {
      await expectUnauthorized(v.verify(junk));
    }
  });
});

describe('refused with 403', () => {
  test('valid token without the required role or scope', async () => {
    const { verifier: v } = verifier();
    const error = await v
      .verify(await signToken(k1, { roles: ['Something.Else'], scp: 'user.read' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
  });

  test('admin role offered as a delegated scope does not make an admin', async () => {
    const { verifier: v } = verifier();
    const token = await signToken(k1, { azp: ADMIN_APP, roles: undefined, scp: 'Platform.Admin' });
    await expect(v.verify(token)).rejects.toBeInstanceOf(ForbiddenError);
  });

  test('valid token from an app with no platform tenant', async () => {
    const { verifier: v } = verifier();
    const token = await signToken(k1, { azp: '12345678-0000-0000-0000-000000000000', oid: 'unmapped' });
    const error = await v.verify(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).detail).toBe('The caller is not registered with a platform tenant.');
  });
});

describe('JWKS caching and key rollover', () => {
  test('keys are fetched once and cached', async () => {
    const { verifier: v, jwks } = verifier();
    const before = server.requests;
    await Promise.all([
      v.verify(await signToken(k1)),
      v.verify(await signToken(k1)),
      v.verify(await signToken(k1)),
    ]);
    await v.verify(await signToken(k1));
    expect(jwks.fetchCount).toBe(1);
    expect(server.requests - before).toBe(1);
  });

  test('a new kid triggers one refetch and is then accepted; unknown kids are rate-limited', async () => {
    let clock = 1_000_000;
    const { verifier: v, jwks } = verifier({ now: () => clock, cooldownMs: 60_000 });
    await v.verify(await signToken(k1));
    expect(jwks.fetchCount).toBe(1);

    // Entra publishes the next key, then starts signing with it.
    server.publish([k1, k2]);
    clock += 61_000;
    expect((await v.verify(await signToken(k2))).tenantId).toBe('team-a');
    expect(jwks.fetchCount).toBe(2);
    await v.verify(await signToken(k2));
    await v.verify(await signToken(k1));
    expect(jwks.fetchCount).toBe(2);

    // A flood of made-up kids causes no refetch inside the cooldown...
    const bogus = await newSigningKey('key-bogus');
    for (let i = 0; i < 5; i += 1) await expectUnauthorized(v.verify(await signToken(bogus)));
    expect(jwks.fetchCount).toBe(2);
    // ...and one refetch once the cooldown has passed.
    clock += 61_000;
    await expectUnauthorized(v.verify(await signToken(bogus)));
    expect(jwks.fetchCount).toBe(3);
  });

  test('a key that arrives inside the cooldown is accepted after it', async () => {
    let clock = 5_000_000;
    const { verifier: v } = verifier({ now: () => clock, cooldownMs: 60_000 });
    await v.verify(await signToken(k1));
    server.publish([k1, k2]);
    await expectUnauthorized(v.verify(await signToken(k2)));
    clock += 60_000;
    await expect(v.verify(await signToken(k2))).resolves.toMatchObject({ tenantId: 'team-a' });
  });

  test('an unreachable JWKS: 503-style RetryAfterError with no keys, cached keys keep working', async () => {
    server.failing = true;
    const cold = verifier();
    await expect(cold.verifier.verify(await signToken(k1))).rejects.toBeInstanceOf(RetryAfterError);

    server.failing = false;
    let clock = 9_000_000;
    const warm = verifier({ now: () => clock });
    await warm.verifier.verify(await signToken(k1));
    server.failing = true;
    clock += 25 * 60 * 60 * 1000; // past max age: refresh fails, stale keys still verify
    await expect(warm.verifier.verify(await signToken(k1))).resolves.toMatchObject({ tenantId: 'team-a' });
  });

  test('the production fetcher refuses non-200 answers', async () => {
    server.failing = true;
    await expect(fetchJwksOverHttp(server.url)).rejects.toThrow(/503/);
    server.failing = false;
    await expect(fetchJwksOverHttp(server.url)).resolves.toMatchObject({ keys: [k1.publicJwk] });
  });
});

describe('configuration', () => {
  const base = {
    ENTRA_TENANT_ID: TID,
    ENTRA_AUDIENCE: `${AUDIENCE}, ${CLIENT_ID}`,
    ENTRA_ALLOWED_ISSUERS: undefined,
    ENTRA_JWKS_URL: undefined as string | undefined,
    ENTRA_REQUIRED_ROLE: 'Jobs.Submit',
    ENTRA_REQUIRED_SCOPE: 'jobs.submit',
    ENTRA_ADMIN_ROLE: 'Platform.Admin',
    ENTRA_TENANT_MAP: JSON.stringify([{ tid: TID, appId: CALLER_APP, tenantId: 'team-a' }]),
    ENTRA_CLOCK_SKEW_SECONDS: 60,
    ENTRA_JWKS_REFETCH_COOLDOWN_SECONDS: 300,
  };

  test('builds a working verifier with default v1 + v2 issuers', async () => {
    const v = entraVerifierFromConfig({ ...base, ENTRA_JWKS_URL: server.url });
    expect(v).toBeDefined();
    await expect(v!.verify(await signToken(k1))).resolves.toMatchObject({ tenantId: 'team-a' });
    await expect(
      v!.verify(await signToken(k1, {}, { issuer: ISSUER_V1, audience: AUDIENCE })),
    ).resolves.toBeDefined();
  });

  test('no ENTRA_TENANT_ID: Entra disabled', () => {
    expect(entraVerifierFromConfig({ ...base, ENTRA_TENANT_ID: undefined })).toBeUndefined();
  });

  test('bad settings fail naming the variable', () => {
    expect(() => entraVerifierFromConfig({ ...base, ENTRA_AUDIENCE: undefined })).toThrow(
      InvalidEnvironmentError,
    );
    expect(() => parseTenantMap('{not json')).toThrow(/ENTRA_TENANT_MAP/);
    expect(() => parseTenantMap(JSON.stringify([{ tid: TID, tenantId: 'x' }]))).toThrow(
      /exactly one of appId, oid/,
    );
  });
});
