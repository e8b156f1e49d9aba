import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CredentialCheck } from '../../../local/model-simulator/auth.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('CredentialCheck', () => {
  it('accepts the configured key or an accepted bearer token, and refuses others', () => {
    const check = new CredentialCheck({ apiKey: 'k1', acceptBearerTokens: ['t1'] });
    expect(check.authorized(request({ 'api-key': 'k1' }))).toBe(true);
    expect(check.authorized(request({ authorization: 'Bearer t1' }))).toBe(true);
    expect(check.authorized(request({ 'api-key': 'nope' }))).toBe(false);
    expect(check.authorized(request({}))).toBe(false);
    expect(check.seen).toEqual(['k1', 't1', 'nope']);
  });

  it('keeps only the last thousand credentials seen, so a long run holds no growing list', () => {
    const check = new CredentialCheck({});
    for (let index = 0; index < 1500; index += 1) check.authorized(request({ 'api-key': `k${index}` }));
    expect(check.seen).toHaveLength(1000);
    expect(check.seen[0]).toBe('k500');
    expect(check.seen.at(-1)).toBe('k1499');
  });
});
