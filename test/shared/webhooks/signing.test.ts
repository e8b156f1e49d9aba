import { describe, expect, it } from 'vitest';
import {
  generateSecret,
  sign,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
} from '../../../shared/webhooks/signing.js';

// The Standard Webhooks reference test vector (standard-webhooks/standard-webhooks, libraries/*/ tests).
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const specNow = new Date(SPEC.timestamp * 1000);
const specHeaders = {
  'webhook-id': SPEC.id,
  'webhook-timestamp': String(SPEC.timestamp),
  'webhook-signature': SPEC.signature,
};

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return 'no error';
}

describe('Standard Webhooks signing', () => {
  it('produces the spec example signature', () => {
    expect(sign(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.payload)).toBe(SPEC.signature);
    const headers = signWebhook({
      id: SPEC.id,
      timestamp: specNow,
      payload: SPEC.payload,
      secrets: [SPEC.secret],
    });
    expect(headers).toEqual(specHeaders);
  });

  it('accepts the secret with or without the whsec_ prefix', () => {
    expect(sign(SPEC.secret.slice('whsec_'.length), SPEC.id, SPEC.timestamp, SPEC.payload)).toBe(
      SPEC.signature,
    );
  });

  it('signs with every active secret, space-separated, during rotation', () => {
    const other = generateSecret();
    const headers = signWebhook({
      id: SPEC.id,
      timestamp: specNow,
      payload: SPEC.payload,
      secrets: [other, SPEC.secret],
    });
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(SPEC.signature);
    expect(parts[0]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('refuses ids containing "." (they would make the signed content ambiguous)', () => {
    expect(() =>
      signWebhook({ id: 'a.b', timestamp: specNow, payload: '{}', secrets: [SPEC.secret] }),
    ).toThrow();
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });
});

describe('verifyWebhook', () => {
  it('verifies the spec example and returns id and timestamp', () => {
    const verified = verifyWebhook({
      payload: SPEC.payload,
      headers: specHeaders,
      secrets: SPEC.secret,
      now: specNow,
    });
    expect(verified).toEqual({ id: SPEC.id, timestamp: specNow });
  });

  it('accepts fetch Headers and Buffer payloads', () => {
    const headers = new Headers(specHeaders);
    expect(
      verifyWebhook({ payload: Buffer.from(SPEC.payload), headers, secrets: [SPEC.secret], now: specNow }).id,
    ).toBe(SPEC.id);
  });

  it('rejects a changed body, id or timestamp', () => {
    const base = { headers: specHeaders, secrets: SPEC.secret, now: specNow };
    expect(reason(() => verifyWebhook({ ...base, payload: '{"test": 2432232315}' }))).toBe(
      'no_matching_signature',
    );
    expect(
      reason(() =>
        verifyWebhook({ ...base, payload: SPEC.payload, headers: { ...specHeaders, 'webhook-id': 'msg_x' } }),
      ),
    ).toBe('no_matching_signature');
    expect(
      reason(() =>
        verifyWebhook({
          ...base,
          payload: SPEC.payload,
          headers: { ...specHeaders, 'webhook-timestamp': String(SPEC.timestamp + 1) },
        }),
      ),
    ).toBe('no_matching_signature');
  });

  it('rejects missing headers, bad timestamps and partial signatures', () => {
    const { 'webhook-id': _id, ...noId } = specHeaders;
    const base = { payload: SPEC.payload, secrets: SPEC.secret, now: specNow };
    expect(reason(() => verifyWebhook({ ...base, headers: noId }))).toBe('missing_header');
    expect(
      reason(() => verifyWebhook({ ...base, headers: { ...specHeaders, 'webhook-timestamp': 'hello' } })),
    ).toBe('invalid_timestamp');
    expect(
      reason(() => verifyWebhook({ ...base, headers: { ...specHeaders, 'webhook-signature': 'v1,' } })),
    ).toBe('no_matching_signature');
    expect(
      reason(() =>
        verifyWebhook({
          ...base,
          headers: { ...specHeaders, 'webhook-signature': SPEC.signature.slice(0, 8) },
        }),
      ),
    ).toBe('no_matching_signature');
  });

  it('allows 5 minutes of skew either way and no more', () => {
    const at = (deltaSeconds: number) => new Date((SPEC.timestamp + deltaSeconds) * 1000);
    const base = { payload: SPEC.payload, headers: specHeaders, secrets: SPEC.secret };
    expect(verifyWebhook({ ...base, now: at(300) }).id).toBe(SPEC.id);
    expect(verifyWebhook({ ...base, now: at(-300) }).id).toBe(SPEC.id);
    expect(reason(() => verifyWebhook({ ...base, now: at(301) }))).toBe('timestamp_too_old');
    expect(reason(() => verifyWebhook({ ...base, now: at(-301) }))).toBe('timestamp_too_new');
    expect(verifyWebhook({ ...base, now: at(600), toleranceSeconds: 600 }).id).toBe(SPEC.id);
  });

  it('finds the valid signature among several (rotation), ignoring other versions', () => {
    const headers = {
      ...specHeaders,
      'webhook-signature': [
        'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
        'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
        SPEC.signature,
      ].join(' '),
    };
    expect(verifyWebhook({ payload: SPEC.payload, headers, secrets: SPEC.secret, now: specNow }).id).toBe(
      SPEC.id,
    );
  });

  it('tries every configured secret (consumer-side rotation)', () => {
    const stale = generateSecret();
    expect(
      verifyWebhook({
        payload: SPEC.payload,
        headers: specHeaders,
        secrets: [stale, SPEC.secret],
        now: specNow,
      }).id,
    ).toBe(SPEC.id);
    expect(
      reason(() =>
        verifyWebhook({ payload: SPEC.payload, headers: specHeaders, secrets: [stale], now: specNow }),
      ),
    ).toBe('no_matching_signature');
  });

  it('rejects a malformed secret with a clear reason', () => {
    expect(
      reason(() =>
        verifyWebhook({ payload: SPEC.payload, headers: specHeaders, secrets: 'whsec_!!', now: specNow }),
      ),
    ).toBe('invalid_secret');
  });
});
