/**
 * Endpoint URLs at registration: normalised before they are stored, and refused (400 naming `url`) on
 * port 0, with credentials, or over the length limit once normalised. Real Cosmos through the harness.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors/index.js';
import { registerEndpoint } from '../../../shared/webhooks/endpoints.js';
import type { Resolver, SsrfPolicy } from '../../../shared/webhooks/ssrf.js';
import { parseWebhookUrl } from '../../../shared/webhooks/url.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const azure: SsrfPolicy = { requireHttps: true, allowedHosts: [], allowedCidrs: [] };
const publicDns: Resolver = () => Promise.resolve([{ address: '93.184.216.34', family: 4 }]);

async function register(url: string) {
  return registerEndpoint(h.withPolicy(azure, publicDns), `tenant_${randomUUID().slice(0, 8)}`, { url });
}

async function refusal(url: string): Promise<ValidationError> {
  try {
    await register(url);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`${url} was registered`);
}

describe('registration refuses', () => {
  it('an endpoint on port 0 (issue 16: "an endpoint on port 0 is accepted")', async () => {
    const error = await refusal('https://hooks.example.test:0/hook');
    expect(error.issues).toEqual([{ field: 'url', message: 'The URL must not use port 0' }]);
  });

  it('credentials in the URL, with or without a password', async () => {
    for (const url of ['https://user:pw@hooks.example.test/', 'https://user@hooks.example.test/']) {
      expect((await refusal(url)).issues).toEqual([
        { field: 'url', message: 'The URL must not contain credentials (user:password@)' },
      ]);
    }
  });

  it('a URL within 2048 characters that is longer once normalised', async () => {
    // Each space becomes %20: 700 of them take a 720-character URL past the limit.
    const error = await refusal(`https://hooks.example.test/${' '.repeat(700)}x`);
    expect(error.issues[0]).toMatchObject({
      field: 'url',
      message: expect.stringMatching(/longer than 2048/),
    });
  });

  it('plain http in Azure, and IP literals in refused ranges however they are written', async () => {
    expect((await refusal('http://hooks.example.test/')).issues[0]?.field).toBe('url');
    // WHATWG URL writes 2130706433 and 0x7f.1 out as 127.0.0.1 before the range check sees them.
    for (const url of ['https://2130706433/', 'https://0x7f.1/', 'https://[::ffff:7f00:1]/']) {
      expect((await refusal(url)).detail).toMatch(/not allowed \(private or reserved range: .*loopback\)/);
    }
  });
});

describe('registration stores the normalised URL', () => {
  it('lowercase host, default port dropped, dot segments resolved, no fragment, no trailing dot', async () => {
    const { endpoint } = await register('HTTPS://Hooks.Example.TEST.:443/a/../Hook?x=1#frag');
    expect(endpoint.url).toBe('https://hooks.example.test/Hook?x=1');
  });

  it('keeps a non-default port and the query', async () => {
    const { endpoint } = await register('https://hooks.example.test:8443/h?token=abc');
    expect(endpoint.url).toBe('https://hooks.example.test:8443/h?token=abc');
  });
});

describe('parseWebhookUrl', () => {
  it.each([
    ['http://[', 'The URL is not valid'],
    ['ftp://hooks.example.test/', 'Scheme ftp: is not allowed; use https'],
    ['https://hooks.example.test:0', 'The URL must not use port 0'],
    [`https://hooks.example.test/${'a'.repeat(2048)}`, 'The URL is longer than 2048 characters'],
  ])('refuses %s', (raw, message) => {
    expect(parseWebhookUrl(raw)).toEqual({ ok: false, message });
  });
});
